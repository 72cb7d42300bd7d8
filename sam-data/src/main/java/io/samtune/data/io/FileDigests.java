package io.samtune.data.io;

import io.samtune.data.SampleFileException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * SHA-256 of files, remembered by path, size and modification time, so that the many samples cut
 * from one volume hash it once.
 */
public final class FileDigests {

    private static final int MAX_REMEMBERED = 8192;

    private record Key(Path file, long size, long modified) {
    }

    private final Map<Key, byte[]> known = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Key, byte[]> eldest) {
            return size() > MAX_REMEMBERED;
        }
    };

    /** The SHA-256 of a file's contents. */
    public byte[] of(Path file) throws IOException {
        Key key;
        try {
            key = new Key(file.toAbsolutePath(), Files.size(file), Files.getLastModifiedTime(file).toMillis());
        } catch (NoSuchFileException e) {
            throw new SampleFileException(file, null, "file not found", e);
        }
        synchronized (known) {
            byte[] d = known.get(key);
            if (d != null) {
                return d.clone();
            }
        }
        byte[] d = sha256(file);
        synchronized (known) {
            known.put(key, d);
        }
        return d.clone();
    }

    /** The SHA-256 of a file's contents, read in blocks. */
    public static byte[] sha256(Path file) throws IOException {
        MessageDigest md = digest();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        } catch (NoSuchFileException e) {
            throw new SampleFileException(file, null, "file not found", e);
        }
        return md.digest();
    }

    /** A new SHA-256 digest. */
    public static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this Java", e);
        }
    }
}
