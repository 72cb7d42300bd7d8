package io.samtune.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.samtune.data.BinaryMask;
import io.samtune.data.Masks;
import io.samtune.data.TumorType;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Dice and IoU against hand-computed cases, and the summaries of a checkpoint. */
class DiceTest {

    @Test
    void handComputedCases() {
        BinaryMask truth = Masks.of("##..", "##..", "....");
        BinaryMask pred = Masks.of(".##.", ".##.", "....");
        // |P and G| = 2, |P| = 4, |G| = 4: Dice 4/8, IoU 2/6
        assertThat(pred.dice(truth)).isEqualTo(0.5);
        assertThat(pred.iou(truth)).isCloseTo(1.0 / 3, within(1e-12));
        assertThat(truth.dice(truth)).isEqualTo(1.0);
        BinaryMask empty = BinaryMask.empty(3, 4);
        assertThat(empty.dice(empty)).isEqualTo(1.0);
        assertThat(empty.iou(empty)).isEqualTo(1.0);
        assertThat(empty.dice(truth)).isEqualTo(0.0);
        assertThat(truth.iou(empty)).isEqualTo(0.0);
        BinaryMask one = Masks.of("#...", "....", "....");
        assertThat(one.dice(truth)).isCloseTo(2.0 / 5, within(1e-12));
    }

    @Test
    void summariesOfACheckpoint() {
        List<SliceScore> s = List.of(
                new SliceScore("1.mat", TumorType.MENINGIOMA, "a", 0.5, 1.0 / 3, 4, 4, 2),
                new SliceScore("2.mat", TumorType.GLIOMA, "b", 1.0, 1.0, 10, 10, 10),
                new SliceScore("3.mat", TumorType.GLIOMA, "b", 0.0, 0.0, 0, 6, 0));
        CheckpointScores c = new CheckpointScores("x", null, s);
        assertThat(c.meanDice()).isCloseTo(0.5, within(1e-12));
        assertThat(c.stdDice()).isCloseTo(Math.sqrt((0.0 + 0.25 + 0.25) / 3), within(1e-12));
        // pooled: 2 * (2 + 10 + 0) / (4 + 4 + 10 + 10 + 0 + 6)
        assertThat(c.globalDice()).isCloseTo(24.0 / 34, within(1e-12));
        assertThat(c.perClass().get(TumorType.GLIOMA)).containsExactly(2, 0.5);
        assertThat(c.perClass().get(TumorType.PITUITARY)[0]).isZero();
        assertThat(c.perClass().get(TumorType.PITUITARY)[1]).isNaN();
        DiceReport r = new DiceReport(List.of(c), "box", "test");
        assertThat(r.table()).contains("x").contains("0.5000 +- 0.4082").contains("0.7059");
        assertThat(r.csv()).startsWith("file,label,tumour,pid,checkpoint,dice,iou,hd95\n1.mat,1,meningioma,a,x,0.5,");
        assertThat(r.toJson().getAsJsonArray("results").get(0).getAsJsonObject().getAsJsonObject("perClass")
                .getAsJsonObject("pituitary").get("meanDice").isJsonNull()).isTrue();
    }

    @Test
    void hd95OnHandMadeMasks() {
        // two 10x10 squares in a 40x40 image, one shifted 3 pixels right: every boundary distance <= 3
        boolean[] a = new boolean[40 * 40];
        boolean[] b = new boolean[40 * 40];
        for (int y = 10; y < 20; y++) {
            for (int x = 10; x < 20; x++) {
                a[y * 40 + x] = true;
                b[y * 40 + x + 3] = true;
            }
        }
        io.samtune.data.BinaryMask ma = new io.samtune.data.BinaryMask(40, 40, a);
        io.samtune.data.BinaryMask mb = new io.samtune.data.BinaryMask(40, 40, b);
        assertThat(SurfaceDistance.hd95(ma, ma)).isZero();
        assertThat(SurfaceDistance.hd95(ma, mb)).isEqualTo(3.0);
        assertThat(SurfaceDistance.hd95(ma, mb)).isEqualTo(SurfaceDistance.hd95(mb, ma));
        assertThat(SurfaceDistance.hd95(ma, new io.samtune.data.BinaryMask(40, 40, new boolean[1600]))).isNaN();
        // one stray far pixel among 37 boundary pixels moves the max, not the 95th percentile
        boolean[] c = a.clone();
        c[39 * 40 + 39] = true;
        io.samtune.data.BinaryMask mc = new io.samtune.data.BinaryMask(40, 40, c);
        assertThat(SurfaceDistance.hd95(mc, ma)).isLessThan(Math.hypot(20, 20));
    }
}
