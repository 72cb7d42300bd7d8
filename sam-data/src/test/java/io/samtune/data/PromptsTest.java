package io.samtune.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Box and point prompts from hand-made masks. */
class PromptsTest {

    @Test
    void boxIsInclusiveExtremesWithXAsColumn() {
        BinaryMask m = Masks.of(
                "......",
                "..#...",
                "..###.",
                "......");
        assertThat(BoxPrompt.fromMask(m)).isEqualTo(new BoxPrompt(2, 1, 4, 2));
        assertThat(BoxPrompt.fromMask(m).width()).isEqualTo(3);
        assertThat(m.area()).isEqualTo(4);
    }

    @Test
    void centroidIsMeanPixel() {
        BinaryMask m = Masks.of(
                "#...",
                "....",
                "...#");
        PointPrompt c = PointPrompt.centroid(m);
        assertThat(c.x()).isEqualTo(1.5);
        assertThat(c.y()).isEqualTo(1.0);
        assertThat(c.label()).isEqualTo(1);
    }

    @Test
    void interiorPointOfARingLiesOnTheMask() {
        BinaryMask ring = Masks.of(
                ".........",
                ".#######.",
                ".#######.",
                ".##...##.",
                ".##...##.",
                ".##...##.",
                ".#######.",
                ".#######.",
                ".........");
        PointPrompt c = PointPrompt.centroid(ring);
        assertThat(ring.get((int) Math.round(c.x()), (int) Math.round(c.y()))).isFalse();
        PointPrompt p = PointPrompt.interior(ring);
        assertThat(ring.get((int) p.x(), (int) p.y())).isTrue();
        // the deepest pixels (2 from the edge) are the inner corners, all equally near the centroid;
        // the first in row-major order wins
        assertThat(p).isEqualTo(new PointPrompt(2, 2, true));
    }

    @Test
    void interiorPointIsTheCentroidWhenItIsInside() {
        BinaryMask blob = Masks.of(
                ".....",
                ".###.",
                ".###.",
                ".###.",
                ".....");
        assertThat(PointPrompt.interior(blob)).isEqualTo(PointPrompt.centroid(blob));
    }

    @Test
    void emptyMaskHasNoPrompt() {
        BinaryMask empty = BinaryMask.empty(3, 3);
        assertThatThrownBy(() -> BoxPrompt.fromMask(empty)).hasMessageContaining("empty mask");
        assertThatThrownBy(() -> PointPrompt.centroid(empty)).hasMessageContaining("empty mask");
        assertThatThrownBy(() -> PointPrompt.interior(empty)).hasMessageContaining("empty mask");
    }

    @Test
    void jitterIsSeededBoundedAndClipped() {
        BoxPrompt box = new BoxPrompt(2, 3, 40, 50);
        BoxPrompt a = box.jitter(5, new Random(7), 64, 64);
        BoxPrompt b = box.jitter(5, new Random(7), 64, 64);
        assertThat(a).isEqualTo(b);
        boolean moved = false;
        Random rng = new Random(1);
        for (int i = 0; i < 200; i++) {
            BoxPrompt j = box.jitter(5, rng, 64, 52);
            assertThat(j.x0()).isBetween(0.0, 7.0);
            assertThat(j.y0()).isBetween(0.0, 8.0);
            assertThat(j.x1()).isBetween(35.0, 45.0);
            assertThat(j.y1()).isBetween(45.0, 51.0); // clipped to height 52
            moved |= !j.equals(box);
        }
        assertThat(moved).isTrue();
        assertThat(box.jitter(0, new Random(1), 64, 64)).isSameAs(box);
    }

    @Test
    void borderBoxOfPolygon() {
        BoxPrompt b = BoxPrompt.fromBorder(new double[] {1.5, 2, 10, 0.25, 4, 8});
        assertThat(b.x0()).isCloseTo(1.5, within(0.0));
        assertThat(b.toArray()).containsExactly(1.5, 0.25, 10, 8);
    }

    @Test
    void invalidValuesAreRejected() {
        assertThatThrownBy(() -> new BoxPrompt(5, 0, 4, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("x0 <= x1");
        assertThatThrownBy(() -> new PointPrompt(Double.NaN, 0, true)).hasMessageContaining("finite");
        assertThatThrownBy(() -> new BinaryMask(2, 2, new boolean[3])).hasMessageContaining("needs 4 pixels");
    }

    @Test
    void toStringsAreShort() throws Exception {
        BrainTumorSlice s = MatSliceReader.read(Fixtures.phantoms().resolve("1.mat"));
        assertThat(s.toString()).isEqualTo("BrainTumorSlice[1.mat (v7.3), meningioma, patient 27, 512x512,"
                + " box (262, 105)-(338, 183), mask area 4529]");
        assertThat(s.box().toString()).isEqualTo("BoxPrompt[(262, 105)-(338, 183)]");
        assertThat(s.centroid().toString()).isEqualTo("PointPrompt[(302.01, 142.09), foreground]");
        assertThat(s.mask().toString()).isEqualTo("BinaryMask[512x512, area=4529]");
    }
}
