"""Which globals and opcodes `torch.load(weights_only=True)` accepts (WL307) and
which globals run code when a pickle is loaded (WL308). Pure data.

The weights-only tables mirror torch 2.13's `torch._weights_only_unpickler`
(`_get_allowed_globals` and the opcodes `Unpickler.load` implements); a test
checks them against the installed torch and against what `torch.load` does.
"""

from __future__ import annotations

from typing import Dict, FrozenSet, List, Optional, Tuple


def _words(text: str) -> List[str]:
    return text.split()


_DTYPES = _words(
    "bfloat16 bits16 bits1x8 bits2x4 bits4x2 bits8 bool complex128 complex32 complex64 "
    "float16 float32 float4_e2m1fn_x2 float64 float8_e4m3fn float8_e4m3fnuz float8_e5m2 "
    "float8_e5m2fnuz float8_e8m0fnu int16 int32 int64 int8 qint32 qint8 quint2x4 quint4x2 "
    "quint8 uint16 uint32 uint64 uint8 "
    + " ".join(f"int{n} uint{n}" for n in range(1, 8))
)
_TENSOR_TYPES = _words("BFloat16 Bool Byte Char Double Float Half Int Long Short")
_SPARSE_TYPES = _words("BFloat16 Byte Char Double Float Half Int Long Short")
_STORAGE_TYPES = _words("BFloat16 Bool Byte Char ComplexDouble ComplexFloat Double Float "
                        "Half Int Long Short")
_QUANTIZED_STORAGES = _words("QInt32 QInt8 QUInt2x4 QUInt4x2 QUInt8")
_REBUILDS = _words(
    "_rebuild_device_tensor_from_cpu_tensor _rebuild_device_tensor_from_numpy "
    "_rebuild_meta_tensor_no_storage _rebuild_nested_tensor _rebuild_parameter "
    "_rebuild_parameter_with_state _rebuild_qtensor _rebuild_sparse_tensor _rebuild_tensor "
    "_rebuild_tensor_v2 _rebuild_tensor_v3 _rebuild_wrapper_subclass"
)
_QSCHEMES = _words("per_channel_affine per_channel_affine_float_qparams per_channel_symmetric "
                   "per_tensor_affine per_tensor_symmetric")

WEIGHTS_ONLY_GLOBALS: FrozenSet[str] = frozenset(
    ["_codecs.encode", "builtins.bytearray", "builtins.complex", "builtins.set",
     "collections.Counter", "collections.OrderedDict", "torch.Size", "torch.Tensor",
     "torch.device", "torch.nn.parameter.Parameter", "torch.serialization._get_layout",
     "torch._tensor._rebuild_from_type_v2", "torch.storage.TypedStorage",
     "torch.storage.UntypedStorage"]
    + [f"torch.{d}" for d in _DTYPES + _QSCHEMES]
    + [f"torch.{t}Tensor" for t in _TENSOR_TYPES]
    + [f"torch.cuda.{t}Tensor" for t in _TENSOR_TYPES]
    + [f"{m}.{t}Tensor" for m in ("torch.sparse", "torch.cuda.sparse") for t in _SPARSE_TYPES]
    + [f"torch.{s}Storage" for s in _STORAGE_TYPES + _QUANTIZED_STORAGES]
    + [f"torch.cuda.{s}Storage" for s in _STORAGE_TYPES]
    + [f"torch._utils.{f}" for f in _REBUILDS]
)

# the opcodes torch's weights-only Unpickler.load implements; any other is refused
WEIGHTS_ONLY_OPCODES: FrozenSet[str] = frozenset(_words(
    "GLOBAL NEWOBJ REDUCE BUILD APPEND APPENDS SETITEM SETITEMS MARK TUPLE TUPLE1 TUPLE2 "
    "TUPLE3 NONE NEWFALSE NEWTRUE EMPTY_TUPLE EMPTY_LIST EMPTY_DICT EMPTY_SET BININT BININT1 "
    "BININT2 BINFLOAT BINUNICODE SHORT_BINSTRING BINPERSID BINGET LONG_BINGET BINPUT "
    "LONG_BINPUT LONG1 PROTO STOP"
))

# modules torch refuses even with add_safe_globals
WEIGHTS_ONLY_BLOCKED_MODULES: FrozenSet[str] = frozenset({"sys", "os", "posix", "nt"})

# -- WL308: what runs code (or touches files, processes, the network) when loaded -------
# module -> why every name in it is dangerous
DANGEROUS_MODULES: Dict[str, str] = {
    "os": "runs shell commands / touches files", "posix": "runs shell commands",
    "nt": "runs shell commands", "posixpath": "file system access",
    "subprocess": "starts processes", "pty": "spawns a shell", "sys": "interpreter internals",
    "socket": "opens network connections", "ssl": "network access",
    "shutil": "copies / deletes files", "runpy": "runs Python modules",
    "code": "runs Python code", "codeop": "compiles Python code",
    "importlib": "imports arbitrary modules", "imp": "imports arbitrary modules",
    "pkgutil": "imports arbitrary modules", "zipimport": "imports arbitrary modules",
    "marshal": "loads code objects", "pickle": "unpickles nested data",
    "_pickle": "unpickles nested data", "cPickle": "unpickles nested data",
    "dill": "unpickles nested data", "cloudpickle": "unpickles nested data",
    "joblib": "unpickles nested data", "shelve": "unpickles nested data",
    "ctypes": "calls native code", "_ctypes": "calls native code",
    "multiprocessing": "starts processes", "asyncio": "starts processes / network",
    "threading": "runs callables in threads", "_thread": "runs callables in threads",
    "signal": "installs signal handlers", "webbrowser": "opens URLs",
    "urllib": "network access", "urllib2": "network access", "http": "network access",
    "httplib": "network access", "requests": "network access", "ftplib": "network access",
    "smtplib": "network access", "telnetlib": "network access", "xmlrpc": "network access",
    "pdb": "runs Python code", "bdb": "runs Python code", "timeit": "runs Python code",
    "trace": "runs Python code", "profile": "runs Python code", "cProfile": "runs Python code",
    "pydoc": "imports arbitrary modules", "platform": "starts processes",
    "commands": "runs shell commands", "popen2": "starts processes",
    "tempfile": "creates files", "glob": "file system access", "io": "opens files",
    "_io": "opens files", "pathlib": "file system access", "distutils": "runs build commands",
    "setuptools": "runs build commands", "venv": "creates environments",
    "ensurepip": "installs packages", "pip": "installs packages",
}
# exact global -> why
DANGEROUS_GLOBALS: Dict[str, str] = {
    **{f"builtins.{n}": "runs Python code" for n in (
        "eval", "exec", "execfile", "compile", "breakpoint", "input")},
    **{f"builtins.{n}": "reaches arbitrary attributes (chains to os.system)" for n in (
        "getattr", "setattr", "delattr", "globals", "locals", "vars", "__import__")},
    "builtins.open": "opens files", "builtins.file": "opens files",
    "builtins.reload": "re-imports modules", "builtins.apply": "calls arbitrary callables",
    "builtins.type": "creates classes", "types.FunctionType": "builds functions from code",
    "types.CodeType": "builds code objects", "types.LambdaType": "builds functions",
    "operator.attrgetter": "reaches arbitrary attributes (chains to os.system)",
    "operator.methodcaller": "calls arbitrary methods",
    "operator.getitem": "reaches into arbitrary objects",
    "functools.partial": "calls arbitrary callables", "functools.reduce": "calls arbitrary callables",
    "copyreg._reconstructor": "constructs arbitrary objects",
    "numpy.load": "loads nested pickles", "numpy.testing._private.utils.runstring": "runs Python code",
    "torch.load": "loads a nested pickle", "torch.serialization.load": "loads a nested pickle",
    "torch.hub.load": "downloads and runs code", "torch.hub.load_state_dict_from_url": "downloads files",
    "torch.jit.load": "loads TorchScript code", "torch._inductor.codecache.compile_file": "compiles code",
    "torch.utils.cpp_extension.load": "compiles and loads native code",
    "torch.utils.cpp_extension.load_inline": "compiles and loads native code",
}


def danger(name: str) -> Optional[str]:
    """Why loading a pickle that references `name` runs code (None: not known to)."""
    if name in DANGEROUS_GLOBALS:
        return DANGEROUS_GLOBALS[name]
    if name.startswith("__builtin__."):
        return DANGEROUS_GLOBALS.get("builtins." + name.split(".", 1)[1])
    parts = name.split(".")
    for n in range(len(parts) - 1, 0, -1):
        why = DANGEROUS_MODULES.get(".".join(parts[:n]))
        if why is not None:
            return why
    return None


def classify(names: List[str]) -> Tuple[List[Tuple[str, str]], List[str]]:
    """(dangerous (name, why), outside the weights-only set but not known to run code)."""
    dangerous: List[Tuple[str, str]] = []
    unsafe: List[str] = []
    for name in names:
        why = danger(name)
        if why is not None:
            dangerous.append((name, why))
        elif name not in WEIGHTS_ONLY_GLOBALS:
            unsafe.append(name)
    return dangerous, unsafe


def refused_opcodes(opcodes: FrozenSet[str]) -> List[str]:
    return sorted(opcodes - WEIGHTS_ONLY_OPCODES)
