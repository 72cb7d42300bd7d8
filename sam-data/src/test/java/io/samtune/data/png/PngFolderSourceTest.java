package io.samtune.data.png;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.samtune.data.DatasetException;
import io.samtune.data.Sample;
import io.samtune.data.SampleSources;
import io.samtune.data.SliceIndex;
import io.samtune.data.SourceOptions;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PngFolderSourceTest {

    @TempDir
    Path tmp;

    static void mask(Path file, int h, int w, int x0, int y0, int x1, int y1) throws IOException {
        BufferedImage m = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = y0; y <= y1; y++) {
            for (int x = x0; x <= x1; x++) {
                m.getRaster().setSample(x, y, 0, 1); // any value above 0 is target
            }
        }
        ImageIO.write(m, "png", file.toFile());
    }

    Path folder() throws IOException {
        Path dir = tmp.resolve("data");
        Files.createDirectories(dir.resolve("images"));
        Files.createDirectories(dir.resolve("masks"));
        return dir;
    }

    @Test
    void sixteenBitGrayAndRgbImagesKeepTheirValuesAndPatientsComeFromACsv() throws IOException {
        Path dir = folder();
        BufferedImage g16 = new BufferedImage(6, 5, BufferedImage.TYPE_USHORT_GRAY);
        g16.getRaster().setSample(2, 1, 0, 40000);
        ImageIO.write(g16, "png", dir.resolve("images/a1.png").toFile());
        mask(dir.resolve("masks/a1.png"), 5, 6, 1, 1, 3, 2);
        BufferedImage rgb = new BufferedImage(6, 5, BufferedImage.TYPE_INT_RGB);
        rgb.setRGB(3, 2, 30 << 16 | 60 << 8 | 90);
        ImageIO.write(rgb, "png", dir.resolve("images/a2.png").toFile());
        mask(dir.resolve("masks/a2.png"), 5, 6, 3, 2, 3, 2);
        BufferedImage empty = new BufferedImage(6, 5, BufferedImage.TYPE_BYTE_GRAY);
        ImageIO.write(empty, "png", dir.resolve("images/b1.png").toFile());
        ImageIO.write(empty, "png", dir.resolve("masks/b1.png").toFile());
        Path csv = Files.writeString(tmp.resolve("patients.csv"), "file,patient\na1.png,P1\nimages/a2.png,P1\nb1,P2\n");

        assertThat(SampleSources.detect(dir)).isEqualTo("png");
        SliceIndex index = SampleSources.open(dir, new SourceOptions("auto", null, null, null, 1, csv)).scan(false);
        assertThat(index.infos()).extracting(r -> r.name()).containsExactly("images/a1.png", "images/a2.png");
        assertThat(index.patients()).containsExactly("P1");
        Sample a1 = index.load(0);
        assertThat(a1.pixel(2, 1)).isEqualTo(40000f);
        assertThat(a1.maskArea()).isEqualTo(6);
        assertThat(a1.box().corners()).isEqualTo("(1, 1)-(3, 2)");
        Sample a2 = index.load(1);
        assertThat(a2.pixel(3, 2)).isEqualTo(60f); // the channels' mean
        assertThat(a2.imageSumOverMask()).isEqualTo(60.0);

        SliceIndex all = SampleSources.open(dir, new SourceOptions("png", null, null, "all", 1, csv)).scan(false);
        assertThat(all.patients()).containsExactly("P1", "P2");
        assertThat(all.load(2).maskArea()).isZero();
        assertThatThrownBy(() -> all.load(2).box()).hasMessageContaining("images/b1.png has an empty mask");
        // without a CSV each image is its own patient
        assertThat(SampleSources.open(dir, SourceOptions.defaults()).scan(false).patients()).containsExactly("a1", "a2");
    }

    @Test
    void missingMasksWrongSizesUnlistedPatientsAndBadCsvsAreNamed() throws IOException {
        Path dir = folder();
        ImageIO.write(new BufferedImage(6, 5, BufferedImage.TYPE_BYTE_GRAY), "png", dir.resolve("images/x.png").toFile());
        ImageIO.write(new BufferedImage(6, 5, BufferedImage.TYPE_BYTE_GRAY), "png", dir.resolve("images/y.png").toFile());
        mask(dir.resolve("masks/y.png"), 4, 6, 0, 0, 1, 1);
        Files.writeString(dir.resolve("images/z.png"), "not a png");
        mask(dir.resolve("masks/z.png"), 5, 6, 0, 0, 1, 1);
        assertThatThrownBy(() -> SampleSources.open(dir, SourceOptions.defaults()).scan(false))
                .isInstanceOf(DatasetException.class)
                .hasMessageContaining("x.png: has no mask")
                .hasMessageContaining("masks/y.png: is 4x6 but its image")
                .hasMessageContaining("images/z.png: is not a PNG or JPEG image");
        mask(dir.resolve("masks/x.png"), 5, 6, 0, 0, 1, 1);
        mask(dir.resolve("masks/y.png"), 5, 6, 0, 0, 1, 1);
        Path csv = Files.writeString(tmp.resolve("p.csv"), "y.png,P\n");
        SliceIndex skipping = SampleSources.open(dir, new SourceOptions("png", null, null, null, 1, csv)).scan(true);
        assertThat(skipping.skipped()).extracting(e -> e.getMessage())
                .anyMatch(m -> m.contains("x.png: is not listed in " + csv));
        Path bad = Files.writeString(tmp.resolve("bad.csv"), "x.png\n");
        assertThatThrownBy(() -> SampleSources.open(dir, new SourceOptions("png", null, null, null, 1, bad)).scan(true))
                .hasMessageContaining("line 1 is not 'file,patient'");
        assertThatThrownBy(() -> SampleSources.open(dir, new SourceOptions("png", null, null, null, 1, tmp)).scan(true))
                .hasMessageContaining("--patients " + tmp + ": is missing or not a regular file");
    }

    @Test
    void aFolderOfNoLayoutIsRefusedNamingTheLayouts() throws IOException {
        Files.writeString(tmp.resolve("notes.txt"), "hello");
        assertThatThrownBy(() -> SampleSources.open(tmp, SourceOptions.defaults()))
                .hasMessageContaining("has none of the layouts samtune reads").hasMessageContaining("BraTS case folders");
        assertThatThrownBy(() -> SampleSources.open(tmp.resolve("nowhere"), SourceOptions.defaults()))
                .hasMessageContaining("does not exist");
    }
}
