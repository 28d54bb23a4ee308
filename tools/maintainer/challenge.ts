/**
 * The challenge starter of a step: the same solution as the guided starter's source, with the step's
 * design files (`designs` in tools/shared/curriculum.ts) cut down to their exported contract.
 *
 * What a design file keeps: its imports, its types and interfaces, its exported constants, and every
 * exported function, class, method and accessor with its signature and doc comment. What it loses:
 * every body (each becomes `throw new NotImplementedError(…)`), every private member and every helper
 * that is not exported. The doc comments say what a function must do; how is for the learner to design,
 * including the parts the guided starter writes for them (the timers, the agents, the locks: where the
 * chapters' traps are).
 *
 * Return types the solution leaves to inference are written out, so a stub that throws keeps the
 * signature the rest of the code and the tests were written against.
 */
import path from 'node:path';
import ts from 'typescript';
import type { Step } from '../shared/curriculum.js';
import { ROOT, filesOf } from '../shared/files.js';
import { expectedStarter, withNotImplementedImport, withoutMaintainerNotes, withoutMarkers } from './starters.js';

/** The starter files of `step` at the challenge level: relative path → content. */
export function challengeStarter(step: Step, root = ROOT): Map<string, string> {
  const guided = expectedStarter(step, root);
  const designs = step.designs ?? [];
  if (designs.length === 0) return guided;
  const dir = path.join(root, 'solutions', step.folder);
  const program = ts.createProgram(
    filesOf(dir)
      .filter((file) => file.endsWith('.ts'))
      .map((file) => path.join(dir, file)),
    { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, strict: true, noEmit: true, types: ['node'] },
  );
  const checker = program.getTypeChecker();
  for (const file of designs) {
    const source = program.getSourceFile(path.join(dir, file));
    if (!source) throw new Error(`${step.folder}: design file ${file} is not in solutions/${step.folder}`);
    guided.set(file, contractOf(source, checker, step, file));
  }
  return guided;
}

/** One edit of the source text: the range [start, end) becomes `text`. */
interface Edit {
  start: number;
  end: number;
  text: string;
}

/** `source` cut down to its exported contract (see the file comment). */
export function contractOf(source: ts.SourceFile, checker: ts.TypeChecker, step: Step, file: string): string {
  const edits: Edit[] = [];
  const remove = (node: ts.Node) => edits.push({ start: node.getFullStart(), end: node.getEnd(), text: '' });
  const definitelyAssigned = (node: ts.PropertyDeclaration) => edits.push({ start: node.name.getEnd(), end: node.name.getEnd(), text: '!' });
  const stubBody = (node: ts.FunctionLikeDeclaration, name: string) => {
    if (!node.body) return;
    const documented = ts.getJSDocCommentsAndTags(ts.isArrowFunction(node) || ts.isFunctionExpression(node) ? node.parent : node).length > 0;
    const task = `design ${name} in ${file} (${documented ? 'its doc comment says what it must do' : 'the chapter and the tests say what it must do'})`;
    const returnType = node.type || ts.isConstructorDeclaration(node) || ts.isSetAccessorDeclaration(node) ? '' : inferredReturnType(node, checker, source);
    if (returnType) {
      const close = node.parameters.end; // the position of the parameter list's `)`
      const paren = source.text.indexOf(')', close);
      edits.push({ start: paren + 1, end: paren + 1, text: `: ${returnType}` });
    }
    const indent = indentOf(source, node);
    // A constructor that throws would throw where Node calls our code outside any promise (a request
    // listener), and leave the client hanging: it starts empty, and the methods say what is missing.
    const body = ts.isConstructorDeclaration(node)
      ? `// TODO(${step.id}): design the fields and the ${name.replace(/^the /, '')} in ${file} (the class's doc comment says what it is for; its methods, what each must do)`
      : `throw new NotImplementedError('${step.folder}', '${task.replaceAll("'", "\\'")}');`;
    edits.push({ start: node.body.getStart(source), end: node.body.getEnd(), text: `{\n${indent}  ${body}\n${indent}}` });
  };

  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement) || ts.isTypeAliasDeclaration(statement) || ts.isInterfaceDeclaration(statement) || ts.isExportDeclaration(statement)) continue;
    const exported = hasModifier(statement, ts.SyntaxKind.ExportKeyword);
    if (!exported) {
      remove(statement);
      continue;
    }
    if (ts.isFunctionDeclaration(statement)) stubBody(statement, `${statement.name?.text ?? 'this function'}()`);
    else if (ts.isClassDeclaration(statement)) cutClass(statement, `${statement.name?.text ?? 'the class'}`, remove, stubBody, definitelyAssigned);
    else if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        const init = declaration.initializer;
        if (init && (ts.isArrowFunction(init) || ts.isFunctionExpression(init)) && ts.isBlock(init.body)) stubBody(init, `${declaration.name.getText(source)}()`);
      }
    }
  }
  let text = applyEdits(source.text, edits);
  text = withoutUnusedLocalTypes(text, source, edits);
  if (/#region exercise/.test(withoutBodies(text))) throw new Error(`${file}: an exercise region outside a body would leak its solution into the challenge starter`);
  text = withoutUnusedImports(withoutMaintainerNotes(withoutMarkers(text)));
  return withNotImplementedImport(text, file);
}

function applyEdits(text: string, edits: readonly Edit[]): string {
  let out = text;
  for (const edit of [...edits].sort((a, b) => b.start - a.start)) out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
  return out;
}

/**
 * Drops the types and interfaces the file does not export and the cut file no longer uses (a
 * queue's `Waiter`, say): they described internals that are now the learner's to design. Repeats
 * until none is left, since one such type may be used only by another.
 */
function withoutUnusedLocalTypes(text: string, source: ts.SourceFile, edits: readonly Edit[]): string {
  const local = source.statements.filter((statement): statement is ts.InterfaceDeclaration | ts.TypeAliasDeclaration => (ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement)) && !hasModifier(statement, ts.SyntaxKind.ExportKeyword));
  const dropped = new Set<ts.Node>();
  for (let changed = true; changed; ) {
    changed = false;
    const current = applyEdits(source.text, [...edits, ...[...dropped].map((node) => ({ start: node.getFullStart(), end: node.getEnd(), text: '' }))]);
    for (const node of local) {
      if (dropped.has(node)) continue;
      const rest = current.replace(node.getFullText(source), '');
      if (!new RegExp(`\\b${node.name.text}\\b`).test(rest)) {
        dropped.add(node);
        changed = true;
      }
    }
  }
  return dropped.size === 0 ? text : applyEdits(source.text, [...edits, ...[...dropped].map((node) => ({ start: node.getFullStart(), end: node.getEnd(), text: '' }))]);
}

function cutClass(
  node: ts.ClassDeclaration,
  name: string,
  remove: (node: ts.Node) => void,
  stubBody: (node: ts.FunctionLikeDeclaration, name: string) => void,
  definitelyAssigned: (node: ts.PropertyDeclaration) => void,
): void {
  for (const member of node.members) {
    const isPrivate = (member.name !== undefined && ts.isPrivateIdentifier(member.name)) || hasModifier(member, ts.SyntaxKind.PrivateKeyword);
    if (isPrivate && !ts.isConstructorDeclaration(member)) {
      remove(member);
      continue;
    }
    if (ts.isConstructorDeclaration(member)) {
      // An empty constructor only declares its parameters: nothing to design. A derived class must call super() first.
      if (member.body && member.body.statements.length > 0 && !node.heritageClauses?.some((clause) => clause.token === ts.SyntaxKind.ExtendsKeyword)) stubBody(member, `the ${name} constructor`);
    } else if (ts.isMethodDeclaration(member) || ts.isGetAccessorDeclaration(member) || ts.isSetAccessorDeclaration(member)) {
      stubBody(member, `${name}.${member.name.getText()}${ts.isMethodDeclaration(member) ? '()' : ''}`);
    } else if (ts.isClassStaticBlockDeclaration(member)) {
      remove(member);
    } else if (ts.isPropertyDeclaration(member) && member.initializer && (ts.isArrowFunction(member.initializer) || ts.isFunctionExpression(member.initializer)) && ts.isBlock(member.initializer.body)) {
      stubBody(member.initializer, `${name}.${member.name.getText()}`);
    } else if (ts.isPropertyDeclaration(member) && !member.initializer && !member.questionToken && !member.exclamationToken && member.type && !/\bundefined\b/.test(member.type.getText())) {
      // The constructor that assigned it is the learner's to write: tell the compiler it will be.
      definitelyAssigned(member);
    }
  }
}

function hasModifier(node: ts.Node, kind: ts.SyntaxKind): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((modifier) => modifier.kind === kind);
}

function inferredReturnType(node: ts.FunctionLikeDeclaration, checker: ts.TypeChecker, source: ts.SourceFile): string {
  const signature = checker.getSignatureFromDeclaration(node);
  if (!signature) return '';
  const type = checker.getReturnTypeOfSignature(signature);
  return checker.typeToString(type, source, ts.TypeFormatFlags.NoTruncation | ts.TypeFormatFlags.UseFullyQualifiedType);
}

function indentOf(source: ts.SourceFile, node: ts.Node): string {
  const start = node.getStart(source);
  const lineStart = source.text.lastIndexOf('\n', start) + 1;
  return /^\s*/.exec(source.text.slice(lineStart, start))?.[0] ?? '';
}

/** The text with every `{ … }` block's content dropped (to find what lives outside bodies). */
function withoutBodies(text: string): string {
  let depth = 0;
  let out = '';
  for (const char of text) {
    if (char === '{') depth += 1;
    if (depth === 0) out += char;
    if (char === '}') depth = Math.max(0, depth - 1);
  }
  return out;
}

/** Drops imported names the cut file no longer uses (the helpers that used them are gone). */
function withoutUnusedImports(text: string): string {
  const used = (name: string, line: string) => new RegExp(`\\b${name}\\b`).test(text.replace(line, ''));
  const withoutDefaults = text.replace(/^import (\w+) from '[^']+';\n/gm, (line, name: string) => (used(name, line) ? line : ''));
  return withoutNamedImports(withoutDefaults);
}

function withoutNamedImports(text: string): string {
  return text.replace(/^import (type )?\{ ([^}]*) \} from '([^']+)';\n/gm, (line, typeOnly: string | undefined, names: string, from: string) => {
    const rest = text.replace(line, '');
    const kept = names.split(', ').filter((name) => new RegExp(`\\b${name.replace(/^type /, '').split(' as ').at(-1)}\\b`).test(rest));
    return kept.length === 0 ? '' : `import ${typeOnly ?? ''}{ ${kept.join(', ')} } from '${from}';\n`;
  });
}
