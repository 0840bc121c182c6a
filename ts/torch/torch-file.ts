// torch.save files (the zip format torch has written since 1.6): loadTorch and saveTorch.
//
// The zip container is read and written by `fflate` rather than by code of our own: it is small
// (the sync zip/unzip paths tree-shake to a few KB), maintained, dependency-free, works in Node and
// browsers alike, and its zip code has years of use behind it; a checkpoint reader's own risk is the
// pickle, which lucid-optim interprets itself (pickle-reader.ts). fflate's zip reader trusts the
// directory it reads, so every entry it returns is checked here against the sizes the directory
// declares, and only stored (uncompressed) entries, as torch.save writes, are accepted.
//
// The writer uses fflate's streaming `Zip` with entries whose CRC-32 is computed here (crc32.ts:
// zlib's in Node, a slicing-by-8 one elsewhere) rather than `zipSync`, which computes it a byte at a
// time and held saveTorch to ≈ 250 MB/s (bench/checkpoints.mjs). The stream hands the entries'
// bytes through untouched; they are copied once, into the file.

import { Zip, unzipSync, type ZipInputFile } from 'fflate';
import { crc32 } from './crc32.js';
import { unpickle } from './pickle-reader.js';
import { pickle, type Storages } from './pickle-writer.js';
import { asBytes, assertLittleEndianHost, bytesOf } from './tensor.js';

/** The top-level folder torch.save uses when writing to a buffer. */
const ARCHIVE = 'archive';
/** torch aligns each storage's data to 64 bytes in the file (`serialization._get_storage_alignment`). */
const ALIGNMENT = 64;
/** Zip's local file header: 30 bytes, then the name, then the extra field. */
const LOCAL_HEADER = 30;
/** What fflate's streaming Zip writes after each entry's bytes: signature, CRC-32, sizes. */
const DATA_DESCRIPTOR = 16;
/** The extra-field id torch uses for its alignment padding: the bytes 'F', 'B'. */
const PAD_ID = 0x4246;
/** A fixed timestamp keeps the output byte-for-byte deterministic. */
const MTIME = new Date(2000, 0, 1);
/**
 * The file format versions torch 2.15 reads (caffe2/serialize/versions.h:
 * kMinSupportedFileFormatVersion 0x1, kMaxSupportedFileFormatVersion 0xA); torch refuses a file
 * outside them ("Attempted to read a PyTorch file with version 99, but the maximum supported
 * version for reading is 10").
 */
const MIN_FILE_VERSION = 1;
const MAX_FILE_VERSION = 10;
/** A zip central-directory entry takes at least 46 bytes. */
const CENTRAL_ENTRY = 46;

/**
 * The zip's end records, checked as torch's reader (miniz, in caffe2/serialize/inline_container.cc)
 * checks them before it reads a file, so that nothing torch refuses is read here: one disk; the
 * zip64 end record, where its locator says there is one, which torch then reads instead of the
 * classic record (the classic record's counts must then agree with it, or be zip64's 0xFFFF
 * markers, since fflate reads the classic one); a central directory of at most 2^32 - 1 bytes
 * (miniz: "unsupported central directory size"), of at least 46 bytes per entry, and inside the
 * file ("invalid header or archive is corrupted").
 */
function checkEndRecords(file: Uint8Array): void {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const u16 = (at: number) => view.getUint16(at, true);
  const u32 = (at: number) => view.getUint32(at, true);
  const u64 = (at: number) => Number(view.getBigUint64(at, true));
  const corrupt = (why: string) => new RangeError(`loadTorch: not a readable zip file (${why}; torch refuses it too)`);
  // The end record fflate reads: the last signature at least 22 bytes before the end, as it searches.
  let end = file.length - 22;
  while (end >= 0 && u32(end) !== 0x06054b50) {
    if (file.length - end > 65558) end = 0;
    end--;
  }
  if (end < 0) throw new TypeError('loadTorch: not a readable zip file (no end of central directory record)');
  let disk = u16(end + 4);
  let directoryDisk = u16(end + 6);
  let onThisDisk = u16(end + 8);
  let entries = u16(end + 10);
  let size = u32(end + 12);
  let offset = u32(end + 16);
  const locator = end - 20;
  if (locator >= 0 && u32(locator) === 0x07064b50) {
    const at = u64(locator + 8);
    if (at + 56 > file.length || u32(at) !== 0x06064b50) throw corrupt('its zip64 end record is not where its locator says');
    const zip64 = { disk: u32(at + 16), directoryDisk: u32(at + 20), onThisDisk: u64(at + 24), entries: u64(at + 32), size: u64(at + 40), offset: u64(at + 48) };
    const agrees = (classic: number, wide: number, marker: number) => classic === marker || classic === wide;
    if (!agrees(entries, zip64.entries, 0xffff) || !agrees(onThisDisk, zip64.onThisDisk, 0xffff) || !agrees(offset, zip64.offset, 0xffffffff)) {
      throw corrupt("its two end records (classic and zip64) disagree on the central directory's entries or place");
    }
    ({ disk, directoryDisk, onThisDisk, entries, size, offset } = zip64);
  }
  if (disk !== 0 || directoryDisk !== 0 || onThisDisk !== entries) throw corrupt('it spans several disks');
  if (size > 0xffffffff) throw corrupt(`its central directory declares ${size} bytes, an unsupported size`);
  if (size < entries * CENTRAL_ENTRY) throw corrupt(`its central directory declares ${size} bytes for ${entries} entries of at least ${CENTRAL_ENTRY} bytes`);
  if (offset + size > file.length) throw corrupt(`its central directory (${size} bytes at ${offset}) ends past the file's ${file.length} bytes`);
}

/**
 * The file format version, as torch's reader requires it: a `version` record (torch prefers
 * `.data/version` when there is one), its leading decimal digits a version torch reads.
 */
function checkVersion(record: Uint8Array | undefined): void {
  // torch: 'Expected hasRecord("version") to be true, but got false.'
  if (record === undefined) throw new TypeError("loadTorch: the file has no version record (torch.save writes '<archive>/version'; torch refuses a file without one)");
  // std::stoull: leading white space, then decimal digits.
  const digits = /^\s*(\d+)/.exec(new TextDecoder().decode(record));
  if (digits === null) throw new TypeError(`loadTorch: the file's version record is not a number, got ${JSON.stringify(new TextDecoder().decode(record.subarray(0, 40)))}`);
  const version = Number(digits[1]);
  if (!(version >= MIN_FILE_VERSION && version <= MAX_FILE_VERSION)) {
    throw new RangeError(`loadTorch: the file's format version must be in [${MIN_FILE_VERSION}, ${MAX_FILE_VERSION}] (what torch 2.15 reads), got ${digits[1]}`);
  }
}

/**
 * torch.load reads a `.storage_alignment` record, where there is one, with Python's `int()`
 * ("invalid literal for int() with base 10: b'abc'"): white space, a sign, digits with single
 * underscores between them. The value itself is not used here (entries are found by the directory).
 */
function checkStorageAlignment(record: Uint8Array | undefined): void {
  if (record === undefined) return;
  const text = new TextDecoder().decode(record);
  if (!/^\s*[+-]?\d+(_\d+)*\s*$/.test(text)) {
    throw new TypeError(`loadTorch: the file's .storage_alignment record is not an integer, got ${JSON.stringify(text.slice(0, 40))} (torch refuses it too)`);
  }
}

/**
 * Reads a file written by `torch.save` (zip format): the pickled value with dict/OrderedDict -> Map,
 * list/tuple -> Array, int -> number (bigint beyond 2^53), float -> number, bool, None -> null,
 * str -> string and tensors -> {@link TorchTensor}. Only what `torch.load(weights_only=True)`
 * accepts is read (less: see the README); anything else throws a TypeError naming the opcode or
 * global, and a truncated or inconsistent file a TypeError or RangeError.
 *
 * Contiguous tensors whose storage offset is aligned are views of one copy of the file's storage
 * entries (tensors sharing a storage in torch share memory here too); strided views are copied.
 *
 * @example
 * ```ts
 * const sd = loadTorch(readFileSync('model.pt')) as Map<string, TorchTensor>;
 * const w = sd.get('fc.weight'); // { dtype: 'float32', shape: [10, 784], data: Float32Array }
 * ```
 */
export function loadTorch(bytes: Uint8Array | ArrayBuffer): unknown {
  assertLittleEndianHost();
  const file = asBytes(bytes, 'loadTorch');
  if (file.length < 4 || file[0] !== 0x50 || file[1] !== 0x4b || file[2] !== 0x03 || file[3] !== 0x04) {
    throw new TypeError('loadTorch: not a zip file (torch.save has written zip files since torch 1.6; the legacy format is not supported)');
  }
  checkEndRecords(file);
  const declared = new Map<string, number>();
  // A zip directory entry takes 46 bytes: more entries than that cannot be real (and a hostile
  // count of 2^32 must not keep fflate's loop going).
  const maxEntries = Math.floor(file.length / CENTRAL_ENTRY);
  let seen = 0;
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(file, {
      filter: (f) => {
        if (++seen > maxEntries) throw new RangeError('loadTorch: the zip directory lists more entries than the file can hold');
        if (f.compression !== 0) throw new TypeError(`loadTorch: entry '${f.name}' is compressed (method ${f.compression}); torch.save stores entries uncompressed`);
        if (f.size !== f.originalSize || f.size > file.length) throw new RangeError(`loadTorch: entry '${f.name}' declares ${f.size} bytes, more than the file holds`);
        declared.set(f.name, f.size);
        return true;
      },
    });
  } catch (e) {
    const message = (e as Error)?.message ?? String(e);
    if ((e instanceof TypeError || e instanceof RangeError) && message.startsWith('loadTorch: ')) throw e;
    // fflate's own errors (and any a broken directory provokes inside it) say the zip is unreadable.
    if (e instanceof RangeError) throw new RangeError(`loadTorch: not a readable zip file (${message})`);
    throw new TypeError(`loadTorch: not a readable zip file (${message})`);
  }
  const entry = (name: string): Uint8Array | undefined => {
    if (!Object.hasOwn(files, name)) return undefined;
    const data = files[name];
    // fflate clips an entry that points outside the file; a short entry is a corrupt file.
    if (!(data instanceof Uint8Array) || data.length !== declared.get(name)) throw new RangeError(`loadTorch: entry '${name}' lies outside the file`);
    return data;
  };
  const pkls = Object.keys(files).filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pkls.length !== 1) throw new TypeError(`loadTorch: expected one <archive>/data.pkl entry, found ${pkls.length}`);
  const prefix = pkls[0].slice(0, -'data.pkl'.length);
  checkVersion(entry(`${prefix}.data/version`) ?? entry(`${prefix}version`));
  checkStorageAlignment(entry(`${prefix}.storage_alignment`));
  const byteorder = entry(`${prefix}byteorder`);
  if (byteorder && new TextDecoder().decode(byteorder) !== 'little') throw new TypeError('loadTorch: only little-endian files are supported');
  const pkl = entry(`${prefix}data.pkl`) as Uint8Array;
  return unpickle(pkl, {
    storage: (key) => entry(`${prefix}data/${key}`),
    // Tensor elements may exceed the bytes of their storages only through overlapping views;
    // four elements per byte of file leaves room for those and bounds memory by the file size.
    elementBudget: 4 * file.length + 1024,
  });
}

/**
 * Writes `value` as `torch.save(value)` would: a zip with `archive/data.pkl` (pickle protocol 2),
 * `archive/byteorder`, one `archive/data/<n>` per tensor (64-byte aligned) and `archive/version`.
 * `torch.load(path, weights_only=True)` reads it back. Map and plain objects become dicts, arrays
 * lists, integral numbers ints and other numbers floats, TorchTensors tensors (each with its own
 * storage).
 *
 * @example
 * ```ts
 * writeFileSync('w.pt', saveTorch(new Map([['w', { dtype: 'float32', shape: [2], data: new Float32Array([1, 2]) }]])));
 * // python: torch.load('w.pt', weights_only=True) == {'w': tensor([1., 2.])}
 * ```
 */
export function saveTorch(value: unknown): Uint8Array {
  assertLittleEndianHost();
  const storages: Storages = [];
  const pkl = pickle(value, storages);
  const text = new TextEncoder();
  const entries: [string, Uint8Array, boolean][] = [
    [`${ARCHIVE}/data.pkl`, pkl, false],
    [`${ARCHIVE}/byteorder`, text.encode('little'), false],
    ...storages.map((t, i): [string, Uint8Array, boolean] => [`${ARCHIVE}/data/${i}`, bytesOf(t.data), true]),
    [`${ARCHIVE}/version`, text.encode('3\n'), false],
  ];
  // fflate's Zip writes entries in order, each a local header (30 bytes + name + extra), the stored
  // bytes, then a 16-byte data descriptor: pad the extra field of each storage so that its bytes
  // start on a 64-byte boundary.
  const chunks: Uint8Array[] = [];
  let failure: Error | null = null;
  const zip = new Zip((error, chunk) => {
    if (error) failure ??= error;
    else chunks.push(chunk);
  });
  let offset = 0;
  for (const [name, data, align] of entries) {
    const header = LOCAL_HEADER + name.length;
    let extra: Record<number, Uint8Array> | undefined;
    if (align) {
      const pad = (ALIGNMENT - ((offset + header + 4) % ALIGNMENT)) % ALIGNMENT;
      extra = { [PAD_ID]: new Uint8Array(pad).fill(0x5a) };
    }
    const file: ZipInputFile = { filename: name, size: data.length, crc: crc32(data), compression: 0, mtime: MTIME, extra };
    zip.add(file);
    // A stored entry is its bytes, as they are: handed over in one chunk (fflate calls back at once).
    file.ondata!(null, data as Uint8Array<ArrayBuffer>, true);
    offset += header + (extra ? 4 + extra[PAD_ID].length : 0) + data.length + DATA_DESCRIPTOR;
  }
  zip.end();
  if (failure !== null) throw new RangeError(`saveTorch: cannot write the zip container (${(failure as Error).message})`);
  let length = 0;
  for (const c of chunks) length += c.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
