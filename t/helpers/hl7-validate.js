// hl7-validate: each HL7 v2.5.1 message file named on the command line
// checked against the 2.5.1 definitions of the npm package
// "hl7-dictionary" (message structures with their segment groups,
// segments, data types and HL7 tables), the way a structure-driven parser
// reads it:
//  - MSH-18 names the character set; the bytes must decode by it (UTF-8
//    strictly; none given means ASCII);
//  - the segment sequence must match the abstract message structure that
//    MSH-9.3 names (order, groups, required segments and repeats);
//  - each field: no more fields than the segment has, required fields
//    present, repeats only where allowed, components and subcomponents no
//    more than the data type has and required ones present, ID values in
//    their HL7 table, dates and times in DTM/DT form, escape sequences well
//    formed, no raw control characters, and the field's length (in
//    characters, escapes unescaped) within the 2.5.1 maximum.  OBX-5 has
//    no fixed maximum (2.5.1 section 7.4.2.5: its length depends on the
//    value type), so its length is not checked; component lengths are
//    advisory in 2.5.1 and not checked either.
// One line per problem, "FILE: SEG-n: what"; exit 1 if any.
// Usage: NODE_PATH=.../node_modules node hl7-validate.js FILE...
'use strict';
const fs = require('fs');
const dict = require('hl7-dictionary');
const v251 = dict.definitions['2.5.1'];
const tables = dict.tables;

// Tables HL7 declares open to values beyond its list: 0291 takes IANA MIME
// subtypes; 0396 takes local coding systems 99zzz and L.
// The package's tables are of the latest version; 0125 lost CE (coded
// element) in 2.6, and 2.5.1 still has it.
const openTable = {
  125: (v) => v === 'CE',
  291: () => true,
  396: (v) => /^99[A-Za-z0-9]{1,3}$/.test(v) || v === 'L',
};

function check(file) {
  const problems = [];
  const say = (where, what) => problems.push(`${file}: ${where}: ${what}`);
  let bytes = fs.readFileSync(file);
  if (bytes[0] === 0x0b) {
    if (bytes[bytes.length - 2] !== 0x1c || bytes[bytes.length - 1] !== 0x0d) {
      say('MLLP', 'VT without FS CR at the end');
      return problems;
    }
    bytes = bytes.subarray(1, bytes.length - 2);
  }
  const head = bytes.subarray(0, 3).toString('latin1');
  if (head !== 'MSH') {
    say('MSH', 'a message starts with MSH');
    return problems;
  }
  const fsep = String.fromCharCode(bytes[3]);
  // MSH-18 from the raw bytes: the separators and its value are ASCII.
  const firstSeg = bytes.subarray(0, bytes.indexOf(0x0d) < 0 ? bytes.length : bytes.indexOf(0x0d)).toString('latin1');
  const charset = (firstSeg.split(fsep)[17] || '');
  let text;
  try {
    if (charset === 'UNICODE UTF-8')
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    else if (charset === '' || charset === 'ASCII') {
      if (bytes.some((b) => b > 0x7f))
        say('MSH-18', `bytes above 0x7F but the character set is ${charset || 'empty (ASCII)'}`);
      text = bytes.toString('latin1');
    } else {
      say('MSH-18', `character set not handled here: ${charset}`);
      return problems;
    }
  } catch (e) {
    say('MSH-18', 'not valid UTF-8');
    return problems;
  }
  if (!text.endsWith('\r'))
    say('message', 'the last segment does not end with CR');
  if (text.includes('\n'))
    say('message', 'LF in the message: segments end with CR only');
  const enc = text.slice(4, 8);
  const [csep, rsep, esc, ssep] = enc;
  const segs = text.replace(/\r$/, '').split('\r');
  const names = [];
  segs.forEach((s, i) => {
    const name = s.slice(0, 3);
    if (!/^[A-Z][A-Z0-9]{2}$/.test(name) || !v251.segments[name])
      say(`segment ${i + 1}`, `not a 2.5.1 segment: ${JSON.stringify(name)}`);
    names.push(name);
  });
  const msh = segs[0].split(fsep);
  const type = (msh[8] || '').split(csep);
  const structure = type[2];
  const msg = structure && v251.messages[structure];
  if (!msg) {
    say('MSH-9', `no 2.5.1 message structure ${JSON.stringify(structure)}`);
    return problems;
  }
  const events = (tables[354] && tables[354].values[structure]) || '';
  if (!events.split(/,\s*/).includes(type[1]))
    say('MSH-9', `${type[0]}^${type[1]} does not use structure ${structure}`);
  matchStructure(msg, names, say);
  segs.forEach((s, i) => checkSegment(s, i, { fsep, csep, rsep, esc, ssep }, say));
  return problems;
}

// The segment sequence against the message structure: each element
// repeats up to max (0 unbounded) times and at least min; a group is
// there when its first segment is.
function matchStructure(msg, names, say) {
  let failed = false;
  function first(el) {
    return el.children ? first(el.children[0]) : el.name;
  }
  function one(el, pos) {
    if (!el.children)
      return names[pos] === el.name ? pos + 1 : -1;
    if (names[pos] !== first(el))
      return -1;
    return list(el.children, pos);
  }
  function list(children, pos) {
    for (const el of children) {
      let n = 0;
      while (!failed && (el.max === 0 || n < el.max)) {
        const p = one(el, pos);
        if (p < 0)
          break;
        pos = p;
        n++;
      }
      if (failed)
        return pos;
      if (n < el.min) {
        failed = true;
        say(`segment ${pos + 1}`, `Message is missing required segment ${first(el)}` +
          (names[pos] ? ` (found ${names[pos]})` : ''));
        return pos;
      }
    }
    return pos;
  }
  const end = list(msg.segments.segments, 0);
  if (!failed && end < names.length)
    say(`segment ${end + 1}`, `${names[end]} is not allowed here by ${msg.name}`);
}

// A value with its escape sequences replaced by what they stand for, or
// null when an escape sequence is malformed.
function unescape(v, sep) {
  let out = '';
  for (let i = 0; i < v.length; i++) {
    if (v[i] !== sep.esc) {
      out += v[i];
      continue;
    }
    const j = v.indexOf(sep.esc, i + 1);
    if (j < 0)
      return null;
    const e = v.slice(i + 1, j);
    if (e === 'F') out += sep.fsep;
    else if (e === 'S') out += sep.csep;
    else if (e === 'R') out += sep.rsep;
    else if (e === 'E') out += sep.esc;
    else if (e === 'T') out += sep.ssep;
    else if (/^X([0-9A-Fa-f]{2})+$/.test(e))
      out += Buffer.from(e.slice(1), 'hex').toString('latin1');
    else if (e === 'H' || e === 'N' || /^\.(br|sp\d*|in[+-]?\d+|ti[+-]?\d+|sk\d*|ce|fi|nf)$/.test(e) ||
      /^Z.+$/.test(e) || /^C[0-9A-Fa-f]{4}$/.test(e) || /^M[0-9A-Fa-f]{4,6}$/.test(e))
      out += '';
    else
      return null;
    i = j;
  }
  return out;
}

function checkSegment(s, index, sep, say) {
  const name = s.slice(0, 3);
  const def = v251.segments[name];
  if (!def)
    return;
  let fields = s.split(sep.fsep);
  if (name === 'MSH')
    fields = ['MSH', sep.fsep].concat(fields.slice(1));
  for (let raw of fields.slice(1)) {
    for (const ch of raw)
      if (ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f) {
        say(`${name}`, `raw control character U+${ch.charCodeAt(0).toString(16).padStart(4, '0')} in a field`);
        break;
      }
  }
  if (fields.length - 1 > def.fields.length)
    say(`${name}-${def.fields.length + 1}`, `${name} has ${def.fields.length} fields in 2.5.1`);
  const obx2 = name === 'OBX' ? fields[2] : null;
  def.fields.forEach((fd, k) => {
    const n = k + 1;
    const where = `${name}-${n}`;
    const v = fields[n] || '';
    if (name === 'MSH' && n <= 2)
      return;
    if (v === '') {
      if (fd.opt === 2)
        say(where, `required field ${fd.desc} is empty`);
      return;
    }
    const reps = v.split(sep.rsep);
    if (fd.rep === 1 && reps.length > 1)
      say(where, `${fd.desc} does not repeat`);
    const type = fd.datatype === 'VARIES' ? obx2 : fd.datatype;
    for (const r of reps) {
      if (fd.len && !(name === 'OBX' && n === 5)) {
        const u = unescape(r, sep);
        if (u !== null && [...u].length > fd.len)
          say(where, `${[...u].length} characters, more than the ${fd.len} of 2.5.1`);
      }
      checkValue(r, type, fd, where, sep, say, 1);
    }
  });
}

// A field (depth 1) or component (depth 2) of data type `type`.
function checkValue(v, type, fd, where, sep, say, depth) {
  const dt = v251.fields[type];
  if (!dt) {
    say(where, `unknown data type ${type}`);
    return;
  }
  const split = depth === 1 ? sep.csep : sep.ssep;
  if (dt.subfields.length === 0) {
    if (v.includes(sep.csep) || (depth === 1 && v.includes(sep.ssep)) || (depth === 2 && v.includes(sep.ssep)))
      say(where, `${type} is a primitive: no components`);
    else
      checkPrimitive(v, type, fd, where, sep, say);
    return;
  }
  const parts = v.split(split);
  if (parts.length > dt.subfields.length)
    say(where, `${type} has ${dt.subfields.length} components, not ${parts.length}`);
  dt.subfields.forEach((sd, k) => {
    const p = parts[k] || '';
    if (p === '') {
      if (sd.opt === 2 && v !== '')
        say(`${where}.${k + 1}`, `required component ${sd.desc} is empty`);
      return;
    }
    if (depth === 2) {
      const st = v251.fields[sd.datatype];
      if (st && st.subfields.length === 0)
        checkPrimitive(p, sd.datatype, sd, `${where}.${k + 1}`, sep, say);
      else if (st && p.split(sep.ssep).length > st.subfields.length)
        say(`${where}.${k + 1}`, `${sd.datatype} has ${st.subfields.length} subcomponents`);
      return;
    }
    checkValue(p, sd.datatype, sd, `${where}.${k + 1}`, sep, say, 2);
  });
}

function checkPrimitive(v, type, fd, where, sep, say) {
  const u = unescape(v, sep);
  if (u === null) {
    say(where, 'malformed escape sequence');
    return;
  }
  const re = {
    DTM: /^\d{4}(\d{2}(\d{2}(\d{2}(\d{2}(\d{2}(\.\d{1,4})?)?)?)?)?)?([+-]\d{4})?$/,
    DT: /^\d{4}(\d{2}(\d{2})?)?$/,
    NM: /^[+-]?(\d+\.?\d*|\.\d+)$/,
    SI: /^\d+$/,
  }[type];
  if (re && !re.test(u))
    say(where, `not a ${type}: ${JSON.stringify(u)}`);
  if (type === 'ID' && fd.table && tables[fd.table] && Object.keys(tables[fd.table].values || {}).length) {
    const open = openTable[fd.table];
    if (!(u in tables[fd.table].values) && !(open && open(u)))
      say(where, `${JSON.stringify(u)} is not in HL7 table ${String(fd.table).padStart(4, '0')}`);
  }
}

let bad = 0;
for (const f of process.argv.slice(2)) {
  const problems = check(f);
  for (const p of problems)
    console.log(p);
  bad += problems.length;
}
process.exit(bad ? 1 : 0);
