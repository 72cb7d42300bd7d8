package io.samtune.core.checkpoint;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Loads SAM weights from the official {@code torch.save} files ({@code sam_vit_b_01ec64.pth},
 * {@code sam_vit_l_0b3195.pth}, {@code sam_vit_h_4b8939.pth}, MedSAM's {@code medsam_vit_b.pth})
 * or from safetensors, detecting the format from the file's first bytes. Tensors of any storage
 * type (float32, float16, bfloat16, ...) load as float32.
 */
public final class SamCheckpoint {

    private SamCheckpoint() {
    }

    /** The formats {@link #load} recognises. */
    public enum Format {
        /** {@code torch.save} zip archive. */
        TORCH_ZIP,
        /** safetensors. */
        SAFETENSORS
    }

    /**
     * Reads all tensors of a checkpoint.
     *
     * @throws CheckpointException if the file is missing, truncated, of an unknown or legacy format,
     *     or holds anything but tensors and ordered dicts
     */
    public static StateDict load(Path file, NDManager manager) throws CheckpointException {
        return load(file, manager, null);
    }

    /**
     * Reads all tensors of a checkpoint and, for safetensors, its metadata.
     *
     * @param metadata receives safetensors {@code __metadata__} entries; may be null
     */
    public static StateDict load(Path file, NDManager manager, Map<String, String> metadata) throws CheckpointException {
        return switch (detect(file)) {
            case TORCH_ZIP -> TorchZip.read(file, manager);
            case SAFETENSORS -> Safetensors.read(file, manager, metadata);
        };
    }

    /**
     * Reads the tensors of a checkpoint whose names {@code keep} accepts, without reading the others'
     * data (e.g. everything but a large image encoder).
     *
     * @param skipped receives the names of the tensors not read; may be null
     */
    public static StateDict load(Path file, NDManager manager, java.util.function.Predicate<String> keep,
                                 java.util.Set<String> skipped) throws CheckpointException {
        return switch (detect(file)) {
            case TORCH_ZIP -> TorchZip.read(file, manager, keep, skipped);
            case SAFETENSORS -> Safetensors.read(file, manager, null, keep, skipped);
        };
    }

    /** The format of a checkpoint file, from its first bytes. */
    public static Format detect(Path file) throws CheckpointException {
        byte[] head;
        if (Files.exists(file) && !Files.isRegularFile(file)) { // a pipe would block the read forever
            throw new CheckpointException(file, "is not a regular file (a folder, pipe or device?); a checkpoint is a"
                    + " .pth or .safetensors file");
        }
        try (InputStream in = Files.newInputStream(file)) {
            head = in.readNBytes(16);
        } catch (NoSuchFileException e) {
            throw new CheckpointException(file, "checkpoint file not found", e);
        } catch (IOException e) {
            throw new CheckpointException(file, "cannot read: " + e.getMessage(), e);
        }
        if (head.length >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) {
            return Format.TORCH_ZIP;
        }
        if (Safetensors.looksLike(head)) {
            return Format.SAFETENSORS;
        }
        if (head.length >= 2 && (head[0] & 0xff) == 0x80 && head[1] >= 2 && head[1] <= 5) {
            throw new CheckpointException(file, "this is a legacy (pre-1.6) torch.save file, which is read only by"
                    + " Python's pickle. Re-save it once in the zip format: in Python, torch.save(torch.load('"
                    + file.getFileName() + "', map_location='cpu'), 'resaved.pth')");
        }
        if (head.length == 0) {
            throw new CheckpointException(file, "checkpoint file is empty");
        }
        throw new CheckpointException(file, "not a SAM checkpoint: expected a torch.save .pth (zip) or a"
                + " .safetensors file");
    }
}
