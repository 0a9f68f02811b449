/**
 * File hygiene for everything shiren reads and writes (docs/design.md §5: bad input is one line,
 * never a hang or a spin).
 *
 * - writeFileAtomic(path, data): write to `.<name>.<pid>.tmp` beside the target, fsync, rename. A
 *   crash at any moment leaves either the old file or the new one, never a half-written file; the
 *   temp files a dead process left behind are removed on the next write to that folder. A failure
 *   is a FileError `cannot write PATH: <reason>` (it creates no folder, so it cannot spin), the
 *   reason being the write's own even when removing the temp file fails too.
 * - The one rule for every file shiren writes (checkWriteTarget, applied by writeFileAtomic): the
 *   target is absent or a regular file. A symbolic link, FIFO, device, socket or folder there is
 *   refused before anything is written, never replaced by the rename (`--svg /dev/null` as root
 *   would otherwise replace the device).
 * - ensureOutputDir(dir): creates `dir` one level at a time (Node 20's recursive mkdirSync loops
 *   for ever under /proc) and proves it writable with a probe file; anything else is an
 *   OutputDirError with one line naming the folder.
 * - readRegularFile(path, max, what): reads a regular file of at most `max` bytes; a device
 *   (/dev/zero), FIFO, socket, folder or oversized file is a FileError, checked before reading;
 *   fileKind(path) says what is at a path without reading it (a symlink loop is not "missing").
 * - lockFolder(dir, what): an exclusive lock file `dir/.lock` holding `PID START BOOT` (the owner's
 *   PID, its start time in clock ticks since boot from /proc/PID/stat, the kernel's boot id; the
 *   last two '-' where there is no /proc). A second owner is refused naming that PID; a lock whose
 *   process has died, or whose PID now belongs to another process (a container's PID 1 after a
 *   restart, a reused PID, another boot), is taken over. breakLock(dir) removes a lock regardless
 *   (`train --force-unlock`) and says whose it was.
 */
import { closeSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { printable } from './text.ts';

/** A file that cannot be read as asked; the message is one line naming it. */
export class FileError extends Error {
  override name = 'FileError';
}

/** An output folder that cannot be used; the message is one line naming it. */
export class OutputDirError extends FileError {
  override name = 'OutputDirError';
}

/** A folder whose lock another live process holds. */
export class LockedError extends FileError {
  override name = 'LockedError';
}

/** Whether a process with this PID exists (EPERM: it does, owned by someone else). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `.<name>.<pid>.tmp`, the temp files of writeFileAtomic and ensureOutputDir's probe. */
const TEMP = /^\..+\.(\d+)\.tmp$/;

/** Removes the temp files of dead processes in `dir` (best effort: a folder we cannot list is left alone). */
export function cleanStaleTemps(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const m = TEMP.exec(name);
    if (m && !pidAlive(Number(m[1]))) rmSync(join(dir, name), { force: true });
  }
}

/**
 * Refuses (FileError `cannot write PATH: <why>`) a target that exists and is not a regular file:
 * the rename of writeFileAtomic would replace a link, FIFO or device with a plain file.
 */
export function checkWriteTarget(path: string): void {
  const shown = printable(path, 200);
  if (path === '') throw new FileError('cannot write a file with an empty name');
  let st;
  try {
    st = lstatSync(path);
  } catch (err) {
    const code = errno(err);
    if (code === 'ENOENT') return;
    throw new FileError(`cannot write ${shown}: ${writeReason(code)}`);
  }
  if (st.isFile()) return;
  if (st.isDirectory()) throw new FileError(`cannot write ${shown}: it is a folder`);
  if (st.isSymbolicLink()) throw new FileError(`cannot write ${shown}: it is a symbolic link (shiren replaces files, never links: give the path of the file it names)`);
  throw new FileError(`cannot write ${shown}: it exists and is not a regular file (a device, FIFO or socket)`);
}

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  checkWriteTarget(path);
  cleanStaleTemps(dirname(path));
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    // exclusive create: a FIFO or link planted under the temp name is removed, never opened
    rmSync(tmp, { force: true });
    const fd = openSync(tmp, 'wx');
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    // best effort: a failure here (ENOTDIR, as the open's) must not hide why the write failed
    try { rmSync(tmp, { force: true }); } catch { /* nothing was made */ }
    throw new FileError(`cannot write ${printable(path, 200)}: ${writeReason(errno(err))}`);
  }
  // fsync the directory so the rename itself survives a power loss
  try {
    const dfd = openSync(dirname(path), 'r');
    try { fsyncSync(dfd); } finally { closeSync(dfd); }
  } catch { /* not supported on every platform; the rename is still atomic */ }
}

function errno(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? String(err);
}

/** Why a file could not be written, in words. */
function writeReason(code: string): string {
  switch (code) {
    case 'ENOENT': return 'its folder does not exist';
    case 'ENOTDIR': return 'a part of the path is a file, not a folder';
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'EROFS': return 'read-only file system';
    case 'ENOSPC': return 'no space left on the device';
    case 'EDQUOT': return 'disk quota exceeded';
    case 'EISDIR': return 'it is a folder';
    case 'ELOOP': return 'a symbolic link loop';
    case 'ENAMETOOLONG': return 'the name is too long';
    default: return code;
  }
}

/**
 * Makes sure `dir` is a folder this process can write, creating it (and missing parents) one
 * level at a time; removes stale temp files in it. Returns `dir`.
 */
export function ensureOutputDir(dir: string): string {
  const shown = printable(dir, 200);
  const fail = (why: string): never => {
    throw new OutputDirError(`cannot write to ${shown}: ${why}`);
  };
  // the missing levels, deepest first: stop at the first that exists
  const missing: string[] = [];
  let at = resolve(dir);
  for (;;) {
    let isDir: boolean;
    try {
      isDir = statSync(at).isDirectory();
    } catch (err) {
      if (errno(err) !== 'ENOENT') fail(errno(err) === 'ENOTDIR' ? 'a part of the path is a file, not a folder' : `${printable(at, 200)} cannot be examined (${errno(err)})`);
      missing.push(at);
      const parent = dirname(at);
      if (parent === at) fail('no such file system root');
      at = parent;
      continue;
    }
    if (!isDir) fail(`${printable(at, 200)} exists and is not a folder`);
    break;
  }
  for (const level of missing.reverse()) {
    try {
      mkdirSync(level);
    } catch (err) {
      const code = errno(err);
      if (code === 'EEXIST' && statSync(level).isDirectory()) continue; // made by someone else meanwhile
      fail(code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EROFS' ? 'read-only file system' : `cannot create ${printable(level, 200)} (${code})`);
    }
  }
  // a folder can exist and still refuse files (/proc, /sys, a read-only mount, no permission)
  const probe = join(dir, `.shiren-probe.${process.pid}.tmp`);
  try {
    closeSync(openSync(probe, 'w'));
  } catch (err) {
    const code = errno(err);
    fail(code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EROFS' ? 'read-only file system' : `not a folder files can be written to (${code})`);
  }
  rmSync(probe, { force: true });
  cleanStaleTemps(dir);
  return dir;
}

/**
 * The bytes of a regular file of at most `max` bytes; `what` names it in errors ('model file').
 * The type and size are checked before a byte is read, so /dev/zero or a FIFO cannot hang us.
 */
export function readRegularFile(path: string, max: number, what = 'file'): Buffer {
  const shown = printable(path, 200);
  if (path === '') throw new FileError(`no ${what} given (an empty name)`);
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new FileError(`${shown}: is a directory, not a ${what}`);
    if (!st.isFile()) throw new FileError(`${shown}: not a regular file (a device, FIFO or socket), not a ${what}`);
    size = st.size;
  } catch (err) {
    if (err instanceof FileError) throw err;
    const code = errno(err);
    throw new FileError(`${shown}: ${readReason(code)}`);
  }
  if (size > max) throw new FileError(`${shown}: ${size} bytes, more than the ${max}-byte limit for a ${what}`);
  // read at most max + 1 bytes: a file that grows between stat and read is still bounded
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new FileError(`${shown}: cannot read (${errno(err)})`);
  }
  try {
    const buf = Buffer.allocUnsafe(Math.min(max + 1, size + 65536));
    let n = 0;
    for (;;) {
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
      if (n === buf.length) break;
    }
    if (n > max) throw new FileError(`${shown}: more than the ${max}-byte limit for a ${what}`);
    return buf.subarray(0, n);
  } catch (err) {
    if (err instanceof FileError) throw err;
    throw new FileError(`${shown}: cannot read (${errno(err)})`);
  } finally {
    closeSync(fd);
  }
}

/** Why a path could not be read, in words. */
function readReason(code: string): string {
  switch (code) {
    case 'ENOENT': return 'no such file';
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'ELOOP': return 'a symbolic link loop (it names no file)';
    case 'ENOTDIR': return 'a part of the path is a file, not a folder';
    case 'ENAMETOOLONG': return 'the name is too long';
    default: return `cannot read (${code})`;
  }
}

/**
 * What is at `path`, without reading it: 'missing' (nothing there), 'file', 'folder' or 'other'
 * (a device, FIFO or socket); any other failure (a symlink loop, no permission, a path through a
 * file) is a FileError naming the path and the cause, so that it is never reported as missing.
 */
export function fileKind(path: string): 'missing' | 'file' | 'folder' | 'other' {
  try {
    const st = statSync(path);
    return st.isFile() ? 'file' : st.isDirectory() ? 'folder' : 'other';
  } catch (err) {
    const code = errno(err);
    if (code === 'ENOENT') return 'missing';
    throw new FileError(`${printable(path, 200)}: ${readReason(code)}`);
  }
}

/** The identity of a live process beside its PID: start time (clock ticks after boot) and boot id, '-' where unknown. */
function processIdentity(pid: number): { start: string; boot: string } {
  let start = '-';
  let boot = '-';
  try {
    // field 22 of /proc/PID/stat; the command name (field 2, in parentheses) may hold spaces
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '-';
  } catch { /* no /proc (macOS) or no such process */ }
  try {
    boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || '-';
  } catch { /* no /proc */ }
  return { start, boot };
}

/** A lock file's text (a regular file of at most 4 KiB: never a read that blocks). */
function readLock(file: string): string {
  return readRegularFile(file, 4096, 'lock file').toString('utf8');
}

/** The owner a lock file names: `PID START BOOT`, or `PID` alone (locks of earlier versions). */
function parseLock(text: string): { pid: number; start: string; boot: string } {
  const [pid, start = '-', boot = '-'] = text.trim().split(/\s+/);
  return { pid: Number.parseInt(pid ?? '', 10), start, boot };
}

/**
 * Whether the process a lock names still runs: its PID is alive and, where both are known, it is
 * the same process (same boot, same start time). A lock of this very PID that does not record our
 * start time is a previous PID 1's (a restarted container), not ours.
 */
function lockHolderAlive(lock: { pid: number; start: string; boot: string }): boolean {
  if (!pidAlive(lock.pid)) return false;
  const now = processIdentity(lock.pid);
  if (lock.boot !== '-' && now.boot !== '-' && lock.boot !== now.boot) return false;
  if (lock.start !== '-' && now.start !== '-') return lock.start === now.start;
  return lock.pid !== process.pid;
}

/**
 * Takes `dir/.lock` for this process (`what` names the folder's use in the error: 'run folder').
 * Returns the release function. The lock file holds the owner's PID; one whose process has died
 * (kill -9, power loss) is taken over.
 */
export function lockFolder(dir: string, what = 'folder'): () => void {
  const file = join(dir, '.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      const me = processIdentity(process.pid);
      try { writeSync(fd, `${process.pid} ${me.start} ${me.boot}\n`); } finally { closeSync(fd); }
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        process.off('exit', release);
        try {
          if (parseLock(readLock(file)).pid === process.pid) rmSync(file, { force: true });
        } catch { /* already gone */ }
      };
      process.on('exit', release);
      return release;
    } catch (err) {
      if (errno(err) !== 'EEXIST') throw new FileError(`cannot lock ${what} ${printable(dir, 200)} (${errno(err)})`);
    }
    let holder = { pid: NaN, start: '-', boot: '-' };
    try {
      holder = parseLock(readLock(file));
    } catch (err) {
      // a FIFO or device planted as the lock would hang a plain read: refuse it, naming it
      if (err instanceof FileError && fileKind(file) !== 'missing') throw new LockedError(`cannot lock ${what} ${printable(dir, 200)}: ${err.message}; remove it`);
      /* vanished meanwhile: try again */
    }
    if (lockHolderAlive(holder)) {
      throw new LockedError(`${what} ${printable(dir, 200)} is in use by process ${holder.pid}${holder.pid === process.pid ? ' (this one)' : ''} (its lock is ${printable(file, 200)}; if no trainer runs on it, --force-unlock removes it)`);
    }
    // a dead owner's (or a torn, empty, or a previous PID 1's) lock: take it over
    rmSync(file, { force: true });
  }
  throw new LockedError(`${what} ${printable(dir, 200)} is being locked by another process; try again`);
}

/**
 * Removes `dir/.lock` whoever holds it; returns the PID it named (null when there was none).
 * For a lock the user knows to be stale: two trainers on one folder overwrite each other.
 */
export function breakLock(dir: string): number | null {
  const file = join(dir, '.lock');
  if (fileKind(file) === 'missing') return null;
  let text = '';
  try {
    text = readLock(file);
  } catch { /* not a readable lock: removed all the same */ }
  rmSync(file, { force: true });
  const { pid } = parseLock(text);
  return Number.isNaN(pid) ? 0 : pid;
}
