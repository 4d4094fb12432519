// fhir-validate: each FHIR R4 bundle named on the command line through the
// independent validator of the npm package "fhir" (FHIR.js, Lantana Group):
// structure, cardinalities, data types, code systems and required value
// sets.  Errors fail; so do warnings, except codes outside a value set whose
// binding is only an example (DiagnosticReport.conclusionCode binds SNOMED
// clinical findings as an example; rso sends ICD-10-CM there, as R4 allows;
// DiagnosticReport.category and Observation.code bind v2 table 0074 and
// LOINC as examples, tables the package does not carry),
// and LOINC codes where the binding is only preferred (DiagnosticReport.code
// prefers LOINC Diagnostic Report Codes: the package has no LOINC table to
// find 11488-4 in, so it warns on every LOINC code).
// Usage: NODE_PATH=.../node_modules node fhir-validate.js FILE...
'use strict';
const fs = require('fs');
const { Fhir } = require('fhir');
const fhir = new Fhir();
let bad = 0;
for (const f of process.argv.slice(2)) {
  const bundle = JSON.parse(fs.readFileSync(f, 'utf8'));
  const r = fhir.validate(bundle);
  for (const m of r.messages) {
    const example = m.severity === 'warning' &&
      (/^DiagnosticReport\.(conclusionCode|category)\[\d+\]$/.test(m.location) ||
       m.location === 'Observation.code' ||
       (m.location === 'DiagnosticReport.code' && /\(http:\/\/loinc\.org\)/.test(m.message))) &&
      /not found in value set/.test(m.message);
    if (m.severity === 'info' || m.severity === 'information' || example) continue;
    console.log(`${f}: ${m.severity}: ${m.location}: ${m.message}`);
    bad++;
  }
  if (!r.valid) bad++;
}
process.exit(bad ? 1 : 0);
