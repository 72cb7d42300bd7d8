package io.samtune.core.image;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;
import javax.imageio.ImageIO;

/**
 * An 8-bit RGB image, interleaved row-major: {@code rgb[(y * width + x) * 3 + channel]}. The array
 * is shared, not copied: treat it as read-only.
 *
 * @param height rows
 * @param width columns
 * @param rgb {@code height * width * 3} bytes (unsigned)
 */
public record RgbImage(int height, int width, byte[] rgb) {

    /** Validates the size. */
    public RgbImage {
        Objects.requireNonNull(rgb, "rgb");
        if (height <= 0 || width <= 0 || rgb.length != (long) height * width * 3) {
            throw new IllegalArgumentException("RGB image of " + height + "x" + width + " needs " + (long) height * width * 3
                    + " bytes, got " + rgb.length);
        }
    }

    /** A gray image replicated to three channels. */
    public static RgbImage fromGray(int height, int width, byte[] gray) {
        if (gray.length != (long) height * width) {
            throw new IllegalArgumentException("gray image of " + height + "x" + width + " needs " + (long) height * width
                    + " bytes, got " + gray.length);
        }
        byte[] rgb = new byte[gray.length * 3];
        for (int i = 0; i < gray.length; i++) {
            rgb[3 * i] = gray[i];
            rgb[3 * i + 1] = gray[i];
            rgb[3 * i + 2] = gray[i];
        }
        return new RgbImage(height, width, rgb);
    }

    /** Reads a PNG or JPEG (RGB, gray or with alpha, which is dropped). */
    public static RgbImage read(Path file) throws IOException {
        int maxSide = io.samtune.data.MatSliceReader.maxSide();
        try (javax.imageio.stream.ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            java.util.Iterator<javax.imageio.ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
            if (readers == null || !readers.hasNext()) {
                throw new IOException(file + ": not a PNG or JPEG image that Java can read");
            }
            javax.imageio.ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                // the sides come from the header: checked before a single pixel is decoded (image bombs)
                int w = reader.getWidth(0);
                int h = reader.getHeight(0);
                if (w > maxSide || h > maxSide || w < 1 || h < 1) {
                    throw new IOException(file + ": the image is " + w + "x" + h + ", larger than " + maxSide
                            + " pixels a side; raise the limit with -D" + io.samtune.data.MatSliceReader.MAX_SIDE_PROPERTY
                            + "=N if it is real");
                }
                return fromBufferedImage(reader.read(0));
            } catch (IOException e) {
                if (e.getMessage() != null && e.getMessage().startsWith(file.toString())) {
                    throw e;
                }
                throw new IOException(file + ": cannot decode the image (" + io.samtune.data.ErrorText.describe(e) + ")",
                        e);
            } finally {
                reader.dispose();
            }
        }
    }

    /** Converts a {@link BufferedImage} to RGB bytes. */
    public static RgbImage fromBufferedImage(BufferedImage img) {
        int h = img.getHeight();
        int w = img.getWidth();
        byte[] rgb = new byte[h * w * 3];
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            img.getRGB(0, y, w, 1, row, 0, w);
            for (int x = 0; x < w; x++) {
                int p = row[x];
                int i = (y * w + x) * 3;
                rgb[i] = (byte) (p >> 16);
                rgb[i + 1] = (byte) (p >> 8);
                rgb[i + 2] = (byte) p;
            }
        }
        return new RgbImage(h, w, rgb);
    }

    /** This image as a {@link BufferedImage} of type RGB, e.g. to draw on or save. */
    public BufferedImage toBufferedImage() {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        int[] row = new int[width];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int i = (y * width + x) * 3;
                row[x] = (rgb[i] & 0xff) << 16 | (rgb[i + 1] & 0xff) << 8 | (rgb[i + 2] & 0xff);
            }
            img.setRGB(0, y, width, 1, row, 0, width);
        }
        return img;
    }

    /** The value of one channel at column {@code x}, row {@code y}, 0..255. */
    public int get(int x, int y, int channel) {
        return rgb[(y * width + x) * 3 + channel] & 0xff;
    }

    @Override
    public String toString() {
        return "RgbImage[" + height + "x" + width + "]";
    }
}
