package io.samtune.core.checkpoint;

import io.samtune.core.io.Half;
import java.nio.ByteBuffer;

/** Element types of torch storages that samtune reads, converted to float32 on load. */
enum TorchDType {
    FLOAT32(4, "F32"),
    FLOAT16(2, "F16"),
    BFLOAT16(2, "BF16"),
    FLOAT64(8, "F64"),
    INT64(8, "I64"),
    INT32(4, "I32"),
    INT16(2, "I16"),
    INT8(1, "I8"),
    UINT8(1, "U8"),
    BOOL(1, "BOOL");

    final int bytes;
    final String safetensorsName;

    TorchDType(int bytes, String safetensorsName) {
        this.bytes = bytes;
        this.safetensorsName = safetensorsName;
    }

    static TorchDType fromStorage(String storageType) {
        return switch (storageType) {
            case "FloatStorage" -> FLOAT32;
            case "HalfStorage" -> FLOAT16;
            case "BFloat16Storage" -> BFLOAT16;
            case "DoubleStorage" -> FLOAT64;
            case "LongStorage" -> INT64;
            case "IntStorage" -> INT32;
            case "ShortStorage" -> INT16;
            case "CharStorage" -> INT8;
            case "ByteStorage" -> UINT8;
            case "BoolStorage" -> BOOL;
            default -> throw new IllegalArgumentException("unsupported storage " + storageType);
        };
    }

    static TorchDType fromSafetensors(String name) {
        for (TorchDType t : values()) {
            if (t.safetensorsName.equals(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unsupported safetensors dtype " + name);
    }

    /** Element {@code i} of a little-endian buffer, as a float. */
    float get(ByteBuffer b, long i) {
        int at = Math.toIntExact(i * bytes);
        return switch (this) {
            case FLOAT32 -> b.getFloat(at);
            case FLOAT16 -> Half.toFloat(b.getShort(at));
            case BFLOAT16 -> Float.intBitsToFloat((b.getShort(at) & 0xffff) << 16);
            case FLOAT64 -> (float) b.getDouble(at);
            case INT64 -> b.getLong(at);
            case INT32 -> b.getInt(at);
            case INT16 -> b.getShort(at);
            case INT8 -> b.get(at);
            case UINT8, BOOL -> b.get(at) & 0xff;
        };
    }
}
