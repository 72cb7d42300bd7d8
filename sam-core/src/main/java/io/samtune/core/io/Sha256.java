package io.samtune.core.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 digests as lower-case hex: of files (provenance, checkpoint checks) and of bytes (cache keys). */
public final class Sha256 {

    private Sha256() {
    }

    /** A new SHA-256 digest (every JDK has one). */
    public static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no SHA-256", e);
        }
    }

    /** Digests already taken in this process, by file, size and modification time (checkpoints are large). */
    private static final java.util.Map<String, String> TAKEN = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * The hex SHA-256 of a file's content, read in 64 KiB blocks; a file of the same path, size and
     * modification time is not read twice in one process.
     */
    public static String of(Path file) throws IOException {
        java.nio.file.attribute.BasicFileAttributes a = Files.readAttributes(file,
                java.nio.file.attribute.BasicFileAttributes.class);
        if (!a.isRegularFile()) { // a pipe would block the read forever, a device never end
            throw new IOException(file + ": is not a regular file (a folder, pipe or device?); give a file");
        }
        String id = file.toAbsolutePath().normalize() + "|" + a.size() + "|" + a.lastModifiedTime().toMillis();
        String known = TAKEN.get(id);
        if (known != null) {
            return known;
        }
        String hex = read(file);
        TAKEN.put(id, hex);
        return hex;
    }

    private static String read(Path file) throws IOException {
        MessageDigest d = digest();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                d.update(buf, 0, n);
            }
        }
        return hex(d.digest());
    }

    /** The hex SHA-256 of bytes. */
    public static String of(byte[] content) {
        return hex(digest().digest(content));
    }

    /** Bytes as lower-case hex. */
    public static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }
}
