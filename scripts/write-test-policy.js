'use strict';
// Writes the shipped policy plus the e2e suite's fixture action types (test/support/fixture-action-types.json)
// to the file named by the first argument. The e2e suite does this itself in-process; a server the suite
// reaches over HTTP (API_URL) must be started with such a file as POLICY_FILE.
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

function writeTestPolicy(file) {
  const root = join(__dirname, '..');
  const shipped = JSON.parse(readFileSync(join(root, 'policies', 'action-types.json'), 'utf8'));
  const fixtures = JSON.parse(readFileSync(join(root, 'test', 'support', 'fixture-action-types.json'), 'utf8'));
  writeFileSync(file, JSON.stringify({ ...shipped, action_types: [...shipped.action_types, ...fixtures] }, null, 2));
  return file;
}

module.exports = { writeTestPolicy };

if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node scripts/write-test-policy.js <file>');
    process.exit(2);
  }
  writeTestPolicy(file);
}
