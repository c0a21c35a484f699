/**
 * A pickle reader (protocols 0-5 as far as torch.save uses them) that runs nothing from the file.
 *
 * A pickle is a program for a stack machine whose GLOBAL/STACK_GLOBAL opcodes name Python callables
 * and REDUCE calls them; that is how a .pth can run `os.system`. Here every global is looked up in
 * a whitelist of *descriptions* (what a state dict needs: OrderedDict, torch's tensor rebuilders,
 * the storage classes) when it is named, before anything else happens, and anything else stops the
 * read with one line naming it. REDUCE only ever builds plain values from those descriptions.
 */
import { WeightsError } from '../errors.js';

/** A storage as named by a persistent id; the caller turns it into bytes. */
export interface PickledStorage {
  readonly kind: 'storage';
  readonly dtype: string;
  readonly key: string;
  readonly numel: number;
}

/** `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)`. */
export interface PickledTensor {
  readonly kind: 'tensor';
  readonly storage: PickledStorage;
  readonly offset: number;
  readonly size: number[];
  readonly stride: number[];
}

export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PickleValue[]
  | Map<PickleValue, PickleValue>
  | PickledTensor
  | PickledStorage
  | PickledGlobal
  | { readonly kind: 'storage-type'; readonly dtype: string }
  | { readonly kind: 'object'; readonly global: string };

interface PickledGlobal {
  readonly kind: 'global';
  readonly name: string;
}

/** torch's storage classes and the dtype each holds. */
const STORAGE_TYPES: Record<string, string> = {
  FloatStorage: 'float32',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  DoubleStorage: 'float64',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
};

/** The globals a state dict may name; everything else is refused. */
export const PICKLE_WHITELIST: readonly string[] = [
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_tensor',
  'torch._utils._rebuild_parameter',
  ...Object.keys(STORAGE_TYPES).map((s) => `torch.${s}`),
];

export interface PickleOptions {
  /** Called for BINPERSID/PERSID with the persistent id (a tuple); returns what it stands for. */
  persistentLoad(pid: PickleValue): PickleValue;
  /** Names the file in errors. */
  source: string;
}

const MARK = Symbol('mark');
type Slot = PickleValue | typeof MARK;

function isTuple(v: PickleValue): v is PickleValue[] {
  return Array.isArray(v);
}

function toNumber(v: PickleValue, what: string, source: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  throw new WeightsError(`${source}: ${what} is not a number`);
}

function numbers(v: PickleValue, what: string, source: string): number[] {
  if (!isTuple(v)) throw new WeightsError(`${source}: ${what} is not a tuple`);
  return v.map((x) => toNumber(x, what, source));
}

/** What calling a whitelisted global with `args` gives. */
function call(fn: PickleValue, args: PickleValue, source: string): PickleValue {
  if (typeof fn !== 'object' || fn === null || !('kind' in fn) || fn.kind !== 'global')
    throw new WeightsError(`${source}: the pickle calls something that is not a function`);
  if (!isTuple(args)) throw new WeightsError(`${source}: the pickle calls ${fn.name} without an argument tuple`);
  switch (fn.name) {
    case 'collections.OrderedDict':
      if (args.length !== 0) throw new WeightsError(`${source}: OrderedDict with arguments is not supported`);
      return new Map();
    case 'torch._utils._rebuild_tensor':
    case 'torch._utils._rebuild_tensor_v2': {
      const [storage, offset, size, stride] = args;
      if (typeof storage !== 'object' || storage === null || !('kind' in storage) || storage.kind !== 'storage')
        throw new WeightsError(`${source}: a tensor without a storage`);
      return {
        kind: 'tensor',
        storage,
        offset: toNumber(offset, 'a storage offset', source),
        size: numbers(size, 'a tensor size', source),
        stride: numbers(stride, 'a tensor stride', source),
      };
    }
    case 'torch._utils._rebuild_parameter':
      return args[0]; // nn.Parameter(data, requires_grad, hooks): the data is what we keep
    default:
      throw new WeightsError(`${source}: the pickle calls ${fn.name}, which cannot be called`);
  }
}

/**
 * Read one pickle starting at `start`; returns the value and where the pickle ended (legacy .pth
 * files hold several pickles in a row).
 */
export function readPickle(bytes: Uint8Array, options: PickleOptions, start = 0): { value: PickleValue; end: number } {
  const { source } = options;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new TextDecoder();
  const stack: Slot[] = [];
  const memo = new Map<number, PickleValue>();
  let pos = start;

  const need = (n: number): number => {
    if (pos + n > bytes.length) throw new WeightsError(`${source} is truncated (its pickle ends early)`);
    const at = pos;
    pos += n;
    return at;
  };
  const u8 = (): number => bytes[need(1)];
  const u16 = (): number => view.getUint16(need(2), true);
  const u32 = (): number => view.getUint32(need(4), true);
  const text = (n: number): string => decoder.decode(bytes.subarray(need(n), pos));
  const line = (): string => {
    const nl = bytes.indexOf(0x0a, pos);
    if (nl < 0) throw new WeightsError(`${source} is truncated (its pickle ends early)`);
    const s = decoder.decode(bytes.subarray(pos, nl));
    pos = nl + 1;
    return s;
  };
  const pop = (): PickleValue => {
    const v = stack.pop();
    if (v === undefined || v === MARK) throw new WeightsError(`${source}: malformed pickle (stack underflow)`);
    return v;
  };
  const top = (): PickleValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) throw new WeightsError(`${source}: malformed pickle (stack underflow)`);
    return v;
  };
  const popMark = (): PickleValue[] => {
    const at = stack.lastIndexOf(MARK);
    if (at < 0) throw new WeightsError(`${source}: malformed pickle (no mark)`);
    const items = stack.splice(at) as PickleValue[];
    return items.slice(1);
  };
  const global = (module: string, name: string): PickleValue => {
    const full = `${module}.${name}`;
    if (!PICKLE_WHITELIST.includes(full)) {
      throw new WeightsError(
        `${source}: refused: its pickle names ${full}, which a state dict never needs (nothing from the file was run)`,
      );
    }
    if (module === 'torch' && name in STORAGE_TYPES) return { kind: 'storage-type', dtype: STORAGE_TYPES[name] };
    return { kind: 'global', name: full };
  };
  const setItems = (target: PickleValue, items: PickleValue[]): void => {
    if (!(target instanceof Map)) throw new WeightsError(`${source}: malformed pickle (SETITEM on a non-dict)`);
    for (let i = 0; i + 1 < items.length; i += 2) target.set(items[i], items[i + 1]);
  };
  const append = (target: PickleValue, items: PickleValue[]): void => {
    if (!Array.isArray(target)) throw new WeightsError(`${source}: malformed pickle (APPEND on a non-list)`);
    target.push(...items);
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80:
        u8();
        break; // PROTO
      case 0x95:
        need(8);
        break; // FRAME: a length hint only
      case 0x2e:
        return { value: pop(), end: pos }; // STOP
      case 0x28:
        stack.push(MARK);
        break; // MARK
      case 0x4e:
        stack.push(null);
        break; // NONE
      case 0x88:
        stack.push(true);
        break; // NEWTRUE
      case 0x89:
        stack.push(false);
        break; // NEWFALSE
      case 0x4a:
        stack.push(view.getInt32(need(4), true));
        break; // BININT
      case 0x4b:
        stack.push(u8());
        break; // BININT1
      case 0x4d:
        stack.push(u16());
        break; // BININT2
      case 0x8a: {
        // LONG1: little-endian two's complement
        const n = u8();
        const at = need(n);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[at + i]);
        if (n > 0 && bytes[at + n - 1] & 0x80) v -= 1n << BigInt(8 * n);
        stack.push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
        break;
      }
      case 0x47:
        stack.push(view.getFloat64(need(8), false));
        break; // BINFLOAT (big-endian)
      case 0x58:
        stack.push(text(u32()));
        break; // BINUNICODE
      case 0x8c:
        stack.push(text(u8()));
        break; // SHORT_BINUNICODE
      case 0x8d:
        stack.push(text(Number(view.getBigUint64(need(8), true))));
        break; // BINUNICODE8
      case 0x54:
        stack.push(text(u32()));
        break; // BINSTRING
      case 0x55:
        stack.push(text(u8()));
        break; // SHORT_BINSTRING
      case 0x43: {
        const n = u8();
        stack.push(bytes.slice(need(n), pos));
        break;
      } // SHORT_BINBYTES
      case 0x42: {
        const n = u32();
        stack.push(bytes.slice(need(n), pos));
        break;
      } // BINBYTES
      case 0x7d:
        stack.push(new Map());
        break; // EMPTY_DICT
      case 0x5d:
        stack.push([]);
        break; // EMPTY_LIST
      case 0x29:
        stack.push([]);
        break; // EMPTY_TUPLE
      case 0x74:
        stack.push(popMark());
        break; // TUPLE
      case 0x85:
        stack.push([pop()]);
        break; // TUPLE1
      case 0x86: {
        const b = pop();
        stack.push([pop(), b]);
        break;
      } // TUPLE2
      case 0x87: {
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c]);
        break;
      } // TUPLE3
      case 0x6c:
        stack.push(popMark());
        break; // LIST
      case 0x64: {
        const items = popMark();
        const d = new Map();
        setItems(d, items);
        stack.push(d);
        break;
      } // DICT
      case 0x73: {
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      } // SETITEM
      case 0x75: {
        const items = popMark();
        setItems(top(), items);
        break;
      } // SETITEMS
      case 0x61: {
        const v = pop();
        append(top(), [v]);
        break;
      } // APPEND
      case 0x65: {
        const items = popMark();
        append(top(), items);
        break;
      } // APPENDS
      case 0x71:
        memo.set(u8(), top());
        break; // BINPUT
      case 0x72:
        memo.set(u32(), top());
        break; // LONG_BINPUT
      case 0x94:
        memo.set(memo.size, top());
        break; // MEMOIZE
      case 0x70:
        memo.set(Number(line()), top());
        break; // PUT
      case 0x68:
      case 0x6a:
      case 0x67: {
        // BINGET, LONG_BINGET, GET
        const key = op === 0x68 ? u8() : op === 0x6a ? u32() : Number(line());
        if (!memo.has(key)) throw new WeightsError(`${source}: malformed pickle (memo ${key} unset)`);
        stack.push(memo.get(key) as PickleValue);
        break;
      }
      case 0x63: {
        const module = line();
        stack.push(global(module, line()));
        break;
      } // GLOBAL
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string')
          throw new WeightsError(`${source}: malformed pickle (STACK_GLOBAL of non-strings)`);
        stack.push(global(module, name));
        break;
      }
      case 0x52: {
        const args = pop();
        stack.push(call(pop(), args, source));
        break;
      } // REDUCE
      case 0x62:
        pop();
        break; // BUILD: state of an OrderedDict (state_dict()._metadata) or a Parameter; not needed
      case 0x51:
        stack.push(options.persistentLoad(pop()));
        break; // BINPERSID
      default:
        throw new WeightsError(`${source}: unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')} at byte ${pos - 1}`);
    }
  }
}
