"""What the bytes of a checkpoint mean: dtypes, their sizes, and how each format names them.

Pure data (no torch): the tests check every table against the installed torch
and safetensors.
"""

from __future__ import annotations

from typing import Dict, Optional

# torch dtype name (without "torch.") -> bytes per element
ITEMSIZE: Dict[str, int] = {
    "float64": 8, "float32": 4, "float16": 2, "bfloat16": 2,
    "complex128": 16, "complex64": 8, "complex32": 4,
    "int64": 8, "int32": 4, "int16": 2, "int8": 1,
    "uint64": 8, "uint32": 4, "uint16": 2, "uint8": 1, "bool": 1,
    "float8_e4m3fn": 1, "float8_e4m3fnuz": 1, "float8_e5m2": 1, "float8_e5m2fnuz": 1,
    "float8_e8m0fnu": 1, "float4_e2m1fn_x2": 1,
    "qint32": 4, "qint8": 1, "quint8": 1, "quint4x2": 1, "quint2x4": 1,
    "bits16": 2, "bits8": 1, "bits1x8": 1, "bits2x4": 1, "bits4x2": 1,
}

# legacy typed storage class (torch.<Name>) -> dtype; UntypedStorage holds bytes
STORAGE_DTYPE: Dict[str, str] = {
    "DoubleStorage": "float64", "FloatStorage": "float32", "HalfStorage": "float16",
    "BFloat16Storage": "bfloat16", "LongStorage": "int64", "IntStorage": "int32",
    "ShortStorage": "int16", "CharStorage": "int8", "ByteStorage": "uint8",
    "BoolStorage": "bool", "ComplexDoubleStorage": "complex128",
    "ComplexFloatStorage": "complex64", "QInt8Storage": "qint8", "QInt32Storage": "qint32",
    "QUInt8Storage": "quint8", "QUInt4x2Storage": "quint4x2", "QUInt2x4Storage": "quint2x4",
    "UntypedStorage": "uint8",
}

# safetensors header dtype -> torch dtype name
SAFETENSORS_DTYPE: Dict[str, str] = {
    "F64": "float64", "F32": "float32", "F16": "float16", "BF16": "bfloat16",
    "I64": "int64", "I32": "int32", "I16": "int16", "I8": "int8",
    "U64": "uint64", "U32": "uint32", "U16": "uint16", "U8": "uint8", "BOOL": "bool",
    "F8_E4M3": "float8_e4m3fn", "F8_E4M3FNUZ": "float8_e4m3fnuz", "F8_E5M2": "float8_e5m2",
    "F8_E5M2FNUZ": "float8_e5m2fnuz", "F8_E8M0": "float8_e8m0fnu",
    "C64": "complex64", "C128": "complex128",
}

# numpy dtype descr (array-protocol string without byte order) -> torch-like name
NUMPY_DTYPE: Dict[str, str] = {
    "f8": "float64", "f4": "float32", "f2": "float16", "c16": "complex128", "c8": "complex64",
    "i8": "int64", "i4": "int32", "i2": "int16", "i1": "int8",
    "u8": "uint64", "u4": "uint32", "u2": "uint16", "u1": "uint8", "b1": "bool",
}


# numpy builds a dtype instance of a per-dtype class (numpy >= 1.25): torch's weights-only
# unpickler needs that class allowlisted too, though the pickle never names it
NUMPY_DTYPE_CLASS: Dict[str, str] = {
    "f8": "Float64DType", "f4": "Float32DType", "f2": "Float16DType",
    "c16": "Complex128DType", "c8": "Complex64DType", "i8": "Int64DType", "i4": "Int32DType",
    "i2": "Int16DType", "i1": "Int8DType", "u8": "UInt64DType", "u4": "UInt32DType",
    "u2": "UInt16DType", "u1": "UInt8DType", "b1": "BoolDType",
}


def storage_dtype(class_name: str) -> Optional[str]:
    """dtype of a storage class pickled as torch.<class_name> (None: unknown class)."""
    return STORAGE_DTYPE.get(class_name)


def itemsize(dtype: Optional[str]) -> Optional[int]:
    return ITEMSIZE.get(dtype or "")


def numpy_dtype(descr: str) -> str:
    """'<f4' / 'f4' / 'float32' -> 'float32'; anything else is kept as written."""
    bare = descr.lstrip("<>=|")
    return NUMPY_DTYPE.get(bare, bare)
