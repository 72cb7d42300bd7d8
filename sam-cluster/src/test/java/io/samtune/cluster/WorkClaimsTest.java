package io.samtune.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Claim files share items out; a departed member's item goes to exactly one live member. */
class WorkClaimsTest {

    @TempDir
    Path tmp;

    /** A group whose membership the test sets. */
    private static final class Group {
        final List<String> members = new ArrayList<>();
        final List<String> departed = new ArrayList<>();

        Cluster member(String name) {
            return new Cluster() {
                @Override
                public String self() {
                    return name;
                }

                @Override
                public List<String> members() {
                    return List.copyOf(members);
                }

                @Override
                public List<String> departed() {
                    return List.copyOf(departed);
                }

                @Override
                public void awaitMembers(int count, Duration timeout) {
                }

                @Override
                public io.samtune.cluster.collective.AllReduce allReduce() {
                    throw new UnsupportedOperationException("work claims use no all-reduce");
                }

                @Override
                public Channel channel(String channel) {
                    throw new UnsupportedOperationException("work claims send no messages");
                }

                @Override
                public void close() {
                    members.remove(name);
                    departed.add(name);
                }
            };
        }
    }

    @Test
    void itemsAreTakenOnceAndADepartedMembersItemMovesToOneLiveMember() throws Exception {
        Group g = new Group();
        g.members.addAll(List.of("a", "b", "c"));
        List<String> told = new ArrayList<>();
        WorkClaims a = new WorkClaims(g.member("a"), told::add);
        WorkClaims b = new WorkClaims(g.member("b"), told::add);
        WorkClaims c = new WorkClaims(g.member("c"), told::add);
        Path item4 = tmp.resolve("item-4/claim");
        Path item5 = tmp.resolve("item-5/claim");

        assertThat(c.take(item4, 4, "item-4")).isTrue();
        assertThat(Files.readString(item4)).isEqualTo("c");
        assertThat(a.take(item4, 4, "item-4")).as("held by a live member").isFalse();
        assertThat(b.take(item4, 4, "item-4")).isFalse();
        assertThat(b.take(item5, 5, "item-5")).isTrue();

        c.close(); // c leaves: item 4 goes to live member 4 mod 2 = 0 in name order, a; b keeps out
        assertThat(b.take(item4, 4, "item-4")).isFalse();
        assertThat(a.take(item4, 4, "item-4")).isTrue();
        assertThat(Files.readString(item4)).isEqualTo("a");
        assertThat(told).containsExactly("item-4: its process c left; a takes it over from its last checkpoint");

        // given back, an item is anyone's again; only its holder can give it back
        a.release(item5);
        assertThat(Files.readString(item5)).isEqualTo("b");
        b.release(item5);
        assertThat(item5).doesNotExist();
        assertThat(a.take(item5, 5, "item-5")).isTrue();
    }

    @Test
    void aHolderNeverSeenIsLeftAloneUntilTheGroupHasSettled() throws Exception {
        // a member that founded a group of its own for a moment: the holder may be alive elsewhere
        Group g = new Group();
        g.members.add("late");
        Path item = tmp.resolve("item-0/claim");
        Files.createDirectories(item.getParent());
        Files.writeString(item, "early");
        List<String> told = new ArrayList<>();
        WorkClaims settling = new WorkClaims(g.member("late"), Duration.ofHours(1), told::add);
        assertThat(settling.take(item, 0, "item-0")).isFalse();
        assertThat(Files.readString(item)).isEqualTo("early");
        // once settled, a holder still absent is taken to be gone (a sweep resumed after all its processes died)
        WorkClaims settled = new WorkClaims(g.member("late"), Duration.ZERO, told::add);
        assertThat(settled.take(item, 0, "item-0")).isTrue();
        assertThat(Files.readString(item)).isEqualTo("late");
        assertThat(told).containsExactly("item-0: its process early left; late takes it over from its last checkpoint");
    }
}
