package io.samtune.core.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.samtune.data.BinaryMask;
import io.samtune.data.Fixtures;
import io.samtune.data.MatSliceReader;
import io.samtune.data.Sample;
import io.samtune.data.SampleRef;
import io.samtune.data.SampleSources;
import io.samtune.data.SliceIndex;
import io.samtune.data.SourceOptions;
import io.samtune.data.VolumeIntensities;
import io.samtune.data.figshare.FigshareSource;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class IntensityWindowTest {

    @Test
    void int16SlicesWindowByTheFormulaWithWholeNumberBounds() throws Exception {
        Path file = Fixtures.phantoms().resolve("3.mat");
        short[] int16 = MatSliceReader.read(file).image();
        Sample sample = FigshareSource.read(file);
        short[] sorted = int16.clone();
        java.util.Arrays.sort(sorted);
        for (double[] w : new double[][] {{0, 100}, {0.5, 99.5}, {1, 99}, {2.5, 97.5}}) {
            // numpy's linear percentile, rounded outwards to whole numbers, then round((v - low) * 255 / (high - low))
            int low = (int) Math.floor(numpyPercentile(sorted, w[0]));
            int high = (int) Math.ceil(numpyPercentile(sorted, w[1]));
            byte[] expected = new byte[int16.length];
            for (int i = 0; i < int16.length; i++) {
                double v = (int16[i] - low) * 255.0 / (high - low);
                expected[i] = (byte) (v <= 0 ? 0 : v >= 255 ? 255 : (int) Math.round(v));
            }
            IntensityWindow window = IntensityWindow.percentiles(w[0], w[1]);
            assertThat(window.apply(sample)).as("%s", java.util.Arrays.toString(w)).isEqualTo(expected);
            assertThat(window.apply(int16)).isEqualTo(expected);
        }
    }

    static double numpyPercentile(short[] sorted, double p) {
        double pos = p / 100.0 * (sorted.length - 1);
        int i = (int) Math.floor(pos);
        int j = Math.min(i + 1, sorted.length - 1);
        return sorted[i] + (pos - i) * (sorted[j] - sorted[i]);
    }

    @Test
    void perVolumeBoundsComeFromTheWholeVolume() throws Exception {
        SliceIndex index = SampleSources.open(Fixtures.phantomVolumes().resolve("brats"), SourceOptions.defaults())
                .scan(false);
        Sample s = index.load(0);
        IntensityWindow volume = IntensityWindow.parse("volume");
        assertThat(volume.perVolume()).isTrue();
        assertThat(volume.toString()).isEqualTo("volume");
        assertThat(IntensityWindow.parse("volume:1,99").toString()).isEqualTo("volume:1.0,99.0");
        VolumeIntensities v = s.volume();
        double low = v.percentile(0);
        double high = v.percentile(100);
        byte[] out = volume.apply(s);
        for (int i = 0; i < s.image().length; i++) {
            long want = Math.round(Math.max(0, Math.min(255, (s.image()[i] - low) * 255.0 / (high - low))));
            assertThat(out[i] & 0xff).isEqualTo((int) want);
        }
        // a slice's own bounds give another picture than its volume's, unless they coincide
        assertThat(IntensityWindow.minMax().apply(s)).isNotEqualTo(out);
        // a 2D sample has no volume: per volume is per slice
        SampleRef ref = s.ref();
        Sample flat = new Sample(ref, s.image(), s.mask(), null);
        assertThat(volume.apply(flat)).isEqualTo(IntensityWindow.minMax().apply(flat));
    }

    @Test
    void nonIntegralImagesKeepExactPercentileBounds() {
        float[] image = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f};
        byte[] minmax = IntensityWindow.minMax().apply(image);
        assertThat(minmax[0] & 0xff).isZero();
        assertThat(minmax[4] & 0xff).isEqualTo(255);
        assertThat(minmax[2] & 0xff).isEqualTo(128);
        byte[] clipped = IntensityWindow.percentiles(25, 75).apply(image);
        assertThat(clipped[1] & 0xff).isZero();
        assertThat(clipped[3] & 0xff).isEqualTo(255);
        assertThat(IntensityWindow.minMax().apply(new float[] {3, 3, 3})).containsOnly(0);
        assertThatThrownBy(() -> IntensityWindow.parse("volume:7")).hasMessageContaining("'volume:LOW,HIGH'");
        assertThat(new BinaryMask(1, 1, new boolean[1]).isEmpty()).isTrue();
    }
}
