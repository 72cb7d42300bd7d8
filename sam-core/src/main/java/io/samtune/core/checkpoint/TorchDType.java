package io.samtune.core.checkpoint;

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
            case FLOAT16 -> halfToFloat(b.getShort(at));
            case BFLOAT16 -> Float.intBitsToFloat((b.getShort(at) & 0xffff) << 16);
            case FLOAT64 -> (float) b.getDouble(at);
            case INT64 -> b.getLong(at);
            case INT32 -> b.getInt(at);
            case INT16 -> b.getShort(at);
            case INT8 -> b.get(at);
            case UINT8, BOOL -> b.get(at) & 0xff;
        };
    }

    /** IEEE 754 binary16 to float, exactly (subnormals, infinities and NaN included). */
    static float halfToFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) {
            float v = mant * 0x1p-24f; // subnormal or zero
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    /** Float to IEEE 754 binary16, rounding to nearest even. */
    static short floatToHalf(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exp = (bits >>> 23) & 0xff;
        int mant = bits & 0x7fffff;
        if (exp == 0xff) {
            return (short) (sign | 0x7c00 | (mant != 0 ? 0x200 : 0));
        }
        int e = exp - 112;
        if (e >= 0x1f) {
            return (short) (sign | 0x7c00);
        }
        if (e <= 0) {
            if (e < -10) {
                return (short) sign;
            }
            mant |= 0x800000;
            int shift = 14 - e;
            int half = mant >> shift;
            int rem = mant & ((1 << shift) - 1);
            int mid = 1 << (shift - 1);
            if (rem > mid || (rem == mid && (half & 1) != 0)) {
                half++;
            }
            return (short) (sign | half);
        }
        int half = (e << 10) | (mant >> 13);
        int rem = mant & 0x1fff;
        if (rem > 0x1000 || (rem == 0x1000 && (half & 1) != 0)) {
            half++;
        }
        return (short) (sign | half);
    }
}
