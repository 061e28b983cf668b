"""C literals for generated sources, formatted in this one place."""

# The C type of a tensor's elements, by its TFLite type name (tflite_model.TENSOR_TYPE_NAMES).
C_TYPES = {"int8": "int8_t", "int16": "int16_t", "int32": "int32_t", "int64": "int64_t",
           "uint8": "uint8_t", "float32": "float"}


def c_float(value):
    """A float32 as a C float literal that round-trips (9 significant digits): 0.5f, 3.0f, 1e-05f."""
    text = "%.9g" % float(value)
    return text + ("" if any(c in text for c in ".e") else ".0") + "f"


def c_array(values):
    """Integers as an inline C initializer list, {1, 2, 3}: a member of a larger initializer."""
    return "{" + ", ".join(str(int(v)) for v in values) + "}"


def c_rows(texts, per_row=16):
    """C expressions (strings) in rows of `per_row`, each row the comma-separated line of a
    long array's initializer."""
    texts = list(texts)
    return [", ".join(texts[i:i + per_row]) for i in range(0, len(texts), per_row)]


def c_int_rows(values, per_row=16):
    """Integers (an array's elements) in rows of `per_row`: ["1, -2, 3", ...]."""
    return c_rows((str(int(v)) for v in values), per_row)


def c_byte_rows(data, per_row=16):
    """Bytes in rows of `per_row` hexadecimal literals: ["0x1c, 0x00, ...", ...]."""
    return c_rows((f"0x{b:02x}" for b in data), per_row)
