// The Swagger CLI plugin (nest-cli.json) for Jest, so that an in-process app documents the DTOs
// as the built one does. Jest transpiles file by file (tsconfig.jest.json: isolatedModules),
// which gives the plugin no type checker: for the files nest-cli.json names, this transformer
// type-checks them in a program of their own, lets the plugin write each class's metadata there,
// and adds those static methods to the file Jest is transpiling (same text, so same positions).
const { createHash } = require('node:crypto');
const path = require('node:path');
const ts = require('typescript');
const { before } = require('@nestjs/swagger/plugin');
const { compilerOptions } = require('../../nest-cli.json');

const ROOT = path.join(__dirname, '..', '..');
const METADATA_FACTORY = '_OPENAPI_METADATA_FACTORY';
const { options: pluginOptions } = compilerOptions.plugins.find((plugin) => plugin.name === '@nestjs/swagger');
const files = pluginOptions.dtoFileNameSuffix.map((file) => path.join(ROOT, file));

let program;

function programWith(fileName, text) {
  const current = program?.getSourceFile(fileName);
  if (current && current.text === text) return program;
  const config = ts.getParsedCommandLineOfConfigFile(
    path.join(ROOT, 'tsconfig.json'),
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
  );
  program = ts.createProgram({ rootNames: files, options: config.options, oldProgram: program });
  return program;
}

function metadataMethods(typed, context) {
  const visited = before({ ...pluginOptions }, programWith(typed.fileName, typed.text))(context)(typed);
  const methods = new Map();
  for (const statement of visited.statements) {
    if (!ts.isClassDeclaration(statement) || !statement.name) continue;
    const method = statement.members.find(
      (member) => ts.isMethodDeclaration(member) && ts.isIdentifier(member.name) && member.name.text === METADATA_FACTORY,
    );
    if (method) methods.set(statement.name.text, method);
  }
  return methods;
}

module.exports = {
  name: 'control-plane-swagger-plugin',
  // Part of ts-jest's cache key: a change of the plugin's options (a file added) transforms again.
  version: createHash('sha256').update(JSON.stringify(pluginOptions)).digest('hex').slice(0, 16),
  factory: () => (context) => (sourceFile) => {
    if (!pluginOptions.dtoFileNameSuffix.some((file) => sourceFile.fileName.endsWith(file))) return sourceFile;
    const typed = programWith(sourceFile.fileName, sourceFile.text).getSourceFile(sourceFile.fileName);
    if (!typed || typed.text !== sourceFile.text) throw new Error(`swagger plugin: ${sourceFile.fileName} is not in the program`);
    const methods = metadataMethods(typed, context);
    return ts.factory.updateSourceFile(
      sourceFile,
      sourceFile.statements.map((statement) => {
        const method = ts.isClassDeclaration(statement) && statement.name ? methods.get(statement.name.text) : undefined;
        if (!method) return statement;
        return ts.factory.updateClassDeclaration(
          statement,
          statement.modifiers,
          statement.name,
          statement.typeParameters,
          statement.heritageClauses,
          [...statement.members, method],
        );
      }),
    );
  },
};
