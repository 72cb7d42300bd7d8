package io.samtune.core.checkpoint;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.samtune.core.io.Sha256;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A pipe, a device or a folder given as a checkpoint is refused at once, never read (a pipe would block forever). */
@Timeout(20)
class NotAFileTest {

    @TempDir
    Path tmp;

    @Test
    void pipesDevicesAndFoldersAreRefused() throws Exception {
        Path fifo = tmp.resolve("sam.pth");
        org.assertj.core.api.Assertions.assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
        for (Path p : new Path[] {fifo, Path.of("/dev/zero"), tmp}) {
            assertThatThrownBy(() -> SamCheckpoint.detect(p)).isInstanceOf(CheckpointException.class)
                    .hasMessageContaining(p.toString()).hasMessageContaining("is not a regular file");
            assertThatThrownBy(() -> Sha256.of(p)).hasMessageContaining(p + ": is not a regular file");
        }
    }
}
