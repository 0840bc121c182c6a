"""Reads a file written by lucid-optim's saveTorch with the Python standard library only.

zipfile opens the container; a restricted pickle.Unpickler (find_class allows only the torch names a
state dict needs and returns stand-ins; persistent_load resolves storages from archive/data/<key>)
reads data.pkl. Prints the value in the canonical JSON form test/torch/torch-helpers.ts `canonical` also
produces, so the test compares structure and values exactly. Also checks the layout torch.save
writes: one top-level folder, byteorder 'little', version '3', storages 64-byte aligned.

usage: python3 stdlib_check.py FILE
"""
import collections
import json
import pickle
import struct
import sys
import zipfile

STORAGES = {  # legacy storage class -> (dtype name, element size)
    'FloatStorage': ('float32', 4), 'DoubleStorage': ('float64', 8), 'HalfStorage': ('float16', 2),
    'BFloat16Storage': ('bfloat16', 2), 'LongStorage': ('int64', 8), 'IntStorage': ('int32', 4),
    'ShortStorage': ('int16', 2), 'CharStorage': ('int8', 1), 'ByteStorage': ('uint8', 1), 'BoolStorage': ('bool', 1),
}


class StorageType:
    def __init__(self, name):
        self.dtype, self.itemsize = STORAGES[name]


class Storage:
    def __init__(self, stype, data):
        self.dtype, self.itemsize, self.data = stype.dtype, stype.itemsize, data


class Tensor:
    def __init__(self, dtype, shape, data):
        self.dtype, self.shape, self.data = dtype, shape, data


def rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks, metadata=None):
    assert isinstance(storage, Storage) and requires_grad is False and len(hooks) == 0
    numel = 1
    for d in size:
        numel *= d
    out = bytearray()
    index = [0] * len(size)
    for _ in range(numel):
        at = offset + sum(i * s for i, s in zip(index, stride))
        out += storage.data[at * storage.itemsize:(at + 1) * storage.itemsize]
        for d in reversed(range(len(size))):
            index[d] += 1
            if index[d] < size[d]:
                break
            index[d] = 0
    return Tensor(storage.dtype, list(size), bytes(out))


def main(path):
    zf = zipfile.ZipFile(path)
    names = zf.namelist()
    prefix = names[0].split('/')[0] + '/'
    assert all(n.startswith(prefix) for n in names), names
    assert names[0] == prefix + 'data.pkl', names
    assert zf.read(prefix + 'byteorder') == b'little'
    assert zf.read(prefix + 'version') == b'3\n'
    raw = open(path, 'rb').read()
    for info in zf.infolist():
        assert info.compress_type == zipfile.ZIP_STORED, info
        if info.filename.startswith(prefix + 'data/'):
            name_len, extra_len = struct.unpack('<HH', raw[info.header_offset + 26:info.header_offset + 30])
            assert (info.header_offset + 30 + name_len + extra_len) % 64 == 0, info.filename

    class Restricted(pickle.Unpickler):
        def find_class(self, module, name):
            if (module, name) == ('collections', 'OrderedDict'):
                return collections.OrderedDict
            if (module, name) == ('torch._utils', '_rebuild_tensor_v2'):
                return rebuild_tensor_v2
            if module == 'torch' and name in STORAGES:
                return StorageType(name)
            raise pickle.UnpicklingError(f'forbidden global {module}.{name}')

        def persistent_load(self, pid):
            kind, stype, key, location, numel = pid
            assert kind == 'storage' and isinstance(stype, StorageType) and location == 'cpu'
            data = zf.read(prefix + 'data/' + key)
            assert len(data) == numel * stype.itemsize, (key, len(data), numel)
            return Storage(stype, data)

    value = Restricted(zf.open(prefix + 'data.pkl')).load()
    print(json.dumps(canonical(value)))


def canonical(v, tensor=None):
    """The JSON form test/torch/torch-helpers.ts `canonical` gives (ints as decimal strings, floats as the
    hex of their IEEE double). `tensor` encodes other tensor types in the same form: the generator
    (scripts/golden/checkpoints.py) passes one for torch.Tensor."""
    if v is None:
        return None
    if isinstance(v, bool):
        return {'bool': v}
    if isinstance(v, int):
        return {'int': str(v)}
    if isinstance(v, float):
        return {'float': struct.pack('>d', v).hex()}
    if isinstance(v, str):
        return {'str': v}
    if isinstance(v, (list, tuple)):
        return {'list': [canonical(x, tensor) for x in v]}
    if isinstance(v, dict):
        return {'dict': [[canonical(k, tensor), canonical(x, tensor)] for k, x in v.items()]}
    if isinstance(v, Tensor):
        return {'tensor': {'dtype': v.dtype, 'shape': v.shape, 'data': v.data.hex()}}
    if tensor is not None:
        return tensor(v)
    raise TypeError(f'unexpected {type(v)}')


if __name__ == '__main__':
    main(sys.argv[1])
