package io.samtune.data.nifti;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/** Writes NIfTI-1 files for tests: any header values, so hostile files can be made too. */
final class NiftiWriter {

    short[] dim = new short[8];
    short datatype = 16;
    float[] pixdim = {1, 1, 1, 1, 1, 1, 1, 1};
    float voxOffset = 352;
    float slope = 1;
    float inter;
    short qformCode;
    short sformCode = 1;
    float[] quatern = new float[6];
    float[] srow = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0};
    ByteOrder order = ByteOrder.LITTLE_ENDIAN;
    String magic = "n+1";
    boolean gzip = true;

    NiftiWriter sides(int... sides) {
        dim = new short[8];
        dim[0] = (short) sides.length;
        for (int i = 0; i < sides.length; i++) {
            dim[i + 1] = (short) sides[i];
        }
        for (int i = sides.length + 1; i < 8; i++) {
            dim[i] = 1;
        }
        return this;
    }

    byte[] header() {
        ByteBuffer b = ByteBuffer.allocate(352).order(order);
        b.putInt(0, 348);
        for (int i = 0; i < 8; i++) {
            b.putShort(40 + 2 * i, dim[i]);
        }
        b.putShort(70, datatype);
        b.putShort(72, (short) (8 * bytes(datatype)));
        for (int i = 0; i < 8; i++) {
            b.putFloat(76 + 4 * i, pixdim[i]);
        }
        b.putFloat(108, voxOffset);
        b.putFloat(112, slope);
        b.putFloat(116, inter);
        b.putShort(252, qformCode);
        b.putShort(254, sformCode);
        for (int i = 0; i < 6; i++) {
            b.putFloat(256 + 4 * i, quatern[i]);
        }
        for (int i = 0; i < 12; i++) {
            b.putFloat(280 + 4 * i, srow[i]);
        }
        byte[] m = magic.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        for (int i = 0; i < m.length && i < 4; i++) {
            b.put(344 + i, m[i]);
        }
        return b.array();
    }

    static int bytes(int datatype) {
        return switch (datatype) {
            case 2, 256 -> 1;
            case 4, 512 -> 2;
            case 64, 1024, 1280 -> 8;
            default -> 4;
        };
    }

    /** Writes the header and values (converted to the datatype), x fastest. */
    void write(Path file, double[] values) throws IOException {
        int n = bytes(datatype);
        ByteBuffer data = ByteBuffer.allocate(values.length * n).order(order);
        for (double v : values) {
            switch (datatype) {
                case 2, 256 -> data.put((byte) Math.round(v));
                case 4, 512 -> data.putShort((short) Math.round(v));
                case 8 -> data.putInt((int) Math.round(v));
                case 64 -> data.putDouble(v);
                default -> data.putFloat((float) v);
            }
        }
        writeRaw(file, data.array());
    }

    /** Writes the header, padding up to the voxel offset, then the given bytes. */
    void writeRaw(Path file, byte[] data) throws IOException {
        try (OutputStream raw = Files.newOutputStream(file);
             OutputStream out = gzip ? new GZIPOutputStream(raw) : raw) {
            out.write(header());
            if (voxOffset < (1 << 20)) { // a hostile offset is written as it is, without the bytes it claims
                out.write(new byte[(int) Math.max(0, voxOffset - 352)]);
            }
            out.write(data);
        }
    }
}
