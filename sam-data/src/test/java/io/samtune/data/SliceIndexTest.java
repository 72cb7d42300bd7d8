package io.samtune.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SliceIndexTest {

    @TempDir
    Path tmp;

    @Test
    void indexesThePhantomsInNaturalOrder() throws Exception {
        SliceIndex index = SliceIndex.scan(Fixtures.phantoms());
        assertThat(index.size()).isEqualTo(24);
        assertThat(index.infos().stream().map(SampleRef::name).limit(11))
                .containsExactly("1.mat", "2.mat", "3.mat", "4.mat", "5.mat", "6.mat", "7.mat", "8.mat", "9.mat",
                        "10.mat", "11.mat");
        assertThat(index.patients()).hasSize(8);
        assertThat(index.countsByType()).containsEntry(TumorType.MENINGIOMA, 8).containsEntry(TumorType.GLIOMA, 8)
                .containsEntry(TumorType.PITUITARY, 8);
        assertThat(index.countsBySize()).containsEntry("512x512", 22).containsEntry("256x256", 2);
        assertThat(index.info(21).format()).isEqualTo(MatFormat.V5.label());
        assertThat(index.load(7).height()).isEqualTo(256);
        assertThat(index.toString()).isEqualTo("SliceIndex[" + Fixtures.phantoms()
                + ": 24 slices, 8 patients, meningioma 8, glioma 8, pituitary 8]");
    }

    @Test
    void slicesAreDecodedLazily() throws Exception {
        SliceIndex index = SliceIndex.scan(Fixtures.demo());
        try (Stream<Sample> s = index.slices()) {
            assertThat(s.limit(2).map(Sample::name)).containsExactly("1.mat", "2.mat");
        }
    }

    @Test
    void findsSlicesInSubfoldersAndSkipsIndexFiles() throws Exception {
        Files.createDirectories(tmp.resolve("part1"));
        Files.createDirectories(tmp.resolve("part2"));
        Files.copy(Fixtures.phantoms().resolve("1.mat"), tmp.resolve("part1/1.mat"));
        Files.copy(Fixtures.phantoms().resolve("10.mat"), tmp.resolve("part2/10.mat"));
        Files.copy(Fixtures.phantoms().resolve("2.mat"), tmp.resolve("part1/2.mat"));
        Files.writeString(tmp.resolve("cvind.mat"), "not a slice");
        Files.writeString(tmp.resolve("README.txt"), "readme");
        SliceIndex index = SliceIndex.scan(tmp);
        assertThat(index.infos().stream().map(SampleRef::name)).containsExactly("part1/1.mat", "part1/2.mat", "part2/10.mat");
    }

    @Test
    void reportsEveryBadFileInOneError() throws Exception {
        copyPhantoms(tmp, 1, 2, 3);
        Files.write(tmp.resolve("4.mat"), new byte[0]);
        byte[] full = Files.readAllBytes(Fixtures.phantoms().resolve("5.mat"));
        Files.write(tmp.resolve("5.mat"), Arrays.copyOf(full, 700));
        DatasetException e = catchThrowableOfType(DatasetException.class, () -> SliceIndex.scan(tmp));
        assertThat(e.problems()).hasSize(2);
        assertThat(e.problems().stream().map(p -> p.file().getFileName().toString())).containsExactly("4.mat", "5.mat");
        assertThat(e.getMessage()).contains("2 invalid files").contains("4.mat: file is empty").contains("5.mat")
                .contains("--skip-invalid");

        SliceIndex skipping = SliceIndex.scan(tmp, true);
        assertThat(skipping.size()).isEqualTo(3);
        assertThat(skipping.skipped()).hasSize(2);
        assertThat(skipping.toString()).contains("2 skipped");
    }

    @Test
    void theScanFindsCorruptPixelsAndEntriesThatAreNotFiles() throws Exception {
        copyPhantoms(tmp, 2, 3);
        // header, label and patient intact, pixel data garbled: only a full decode finds it
        byte[] bytes = Files.readAllBytes(Fixtures.phantoms().resolve("1.mat"));
        for (int i = 20000; i < 120000; i++) {
            bytes[i] ^= 0x5a;
        }
        Files.write(tmp.resolve("1.mat"), bytes);
        assertThat(MatSliceReader.readInfo(tmp.resolve("1.mat")).label()).isNotNull();
        Files.createDirectories(tmp.resolve("7.mat"));
        Files.createSymbolicLink(tmp.resolve("8.mat"), tmp.resolve("gone.mat"));
        DatasetException e = catchThrowableOfType(DatasetException.class, () -> SliceIndex.scan(tmp));
        assertThat(e.problems().stream().map(p -> p.file().getFileName().toString()))
                .containsExactly("1.mat", "7.mat", "8.mat");
        assertThat(e.getMessage()).contains("7.mat: is a folder").contains("8.mat: is a broken symbolic link");
        SliceIndex skipping = SliceIndex.scan(tmp, true);
        assertThat(skipping.size()).isEqualTo(2);
        // every slice the scan accepted decodes
        for (int i = 0; i < skipping.size(); i++) {
            assertThat(skipping.load(i).mask().isEmpty()).isFalse();
        }
    }

    @Test
    void missingOrEmptyFolder() throws Exception {
        DatasetException missing = catchThrowableOfType(DatasetException.class, () -> SliceIndex.scan(tmp.resolve("nope")));
        assertThat(missing.getMessage()).contains("does not exist").contains("--data");
        DatasetException empty = catchThrowableOfType(DatasetException.class, () -> SliceIndex.scan(tmp));
        assertThat(empty.getMessage()).contains("holds no .mat slice files");
    }

    @Test
    void neverWritesToTheDataFolder() throws Exception {
        copyPhantoms(tmp, 1, 8, 22);
        Files.write(tmp.resolve("9.mat"), new byte[] {1, 2, 3});
        Map<String, FileTime> before = snapshot(tmp);
        SliceIndex index = SliceIndex.scan(tmp, true);
        index.slices().forEach(s -> { });
        assertThat(snapshot(tmp)).isEqualTo(before);
    }

    static void copyPhantoms(Path dir, int... numbers) throws Exception {
        for (int n : numbers) {
            Files.copy(Fixtures.phantoms().resolve(n + ".mat"), dir.resolve(n + ".mat"));
        }
    }

    private static Map<String, FileTime> snapshot(Path dir) throws Exception {
        Map<String, FileTime> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.toList()) {
                m.put(dir.relativize(p).toString(), Files.getLastModifiedTime(p));
            }
        }
        return m;
    }

    @Test
    void naturalOrder() {
        assertThat(SliceIndex.compareNatural("2.mat", "10.mat")).isNegative();
        assertThat(SliceIndex.compareNatural("a/10.mat", "a/9.mat")).isPositive();
        assertThat(SliceIndex.compareNatural("b/1.mat", "a/2.mat")).isPositive();
        assertThat(SliceIndex.compareNatural("007.mat", "7.mat")).isZero();
    }
}
