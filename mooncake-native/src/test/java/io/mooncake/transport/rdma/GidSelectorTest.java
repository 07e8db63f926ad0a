package io.mooncake.transport.rdma;

import static io.mooncake.jna.verbs.VerbsAbi.IBV_GID_TYPE_IB;
import static io.mooncake.jna.verbs.VerbsAbi.IBV_GID_TYPE_ROCE_V1;
import static io.mooncake.jna.verbs.VerbsAbi.IBV_GID_TYPE_ROCE_V2;
import static io.mooncake.jna.verbs.VerbsAbi.IBV_MTU_4096;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mooncake.jna.verbs.RdmaVerbs;
import io.mooncake.jna.verbs.VerbsException;
import io.mooncake.testing.verbs.InMemoryFabric;
import io.mooncake.testing.verbs.InMemoryFabric.DeviceSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GID choice as the reference's findBestGidIndex, on GID tables of the in-memory device (a test
 * fixture: no HCA exists here) and netdev links in a fake sysfs tree.
 */
class GidSelectorTest {

    static final byte[] LINK_LOCAL = Gid.parse("fe:80:00:00:00:00:00:00:02:42:ac:ff:fe:11:00:02", "t");
    static final byte[] IPV4 = Gid.parse("00:00:00:00:00:00:00:00:00:00:ff:ff:0a:00:00:07", "t");
    static final byte[] IPV4_B = Gid.parse("00:00:00:00:00:00:00:00:00:00:ff:ff:0a:00:01:07", "t");

    @TempDir
    Path root;

    final InMemoryFabric fabric = new InMemoryFabric();

    @AfterEach
    void close() {
        fabric.close();
    }

    record G(byte[] gid, int type) {
    }

    RdmaVerbs.Context device(G... gids) {
        List<RdmaVerbs.GidEntry> table = new ArrayList<>();
        for (int i = 0; i < gids.length; i++) {
            table.add(new RdmaVerbs.GidEntry(gids[i].gid(), i, 1, gids[i].type(), 0));
        }
        return fabric.host(new DeviceSpec("mlx5_0", gids[0].gid(), 0, IBV_MTU_4096, 1024, table)).open("mlx5_0");
    }

    void netdev(int index) throws Exception {
        Path p = root.resolve("sys/class/infiniband/mlx5_0/ports/1/gid_attrs/ndevs/" + index);
        Files.createDirectories(p.getParent());
        Files.writeString(p, "eth0\n");
    }

    @Test
    void roceV2Ipv4WithNetdevWinsOverEarlierEntries() throws Exception {
        RdmaVerbs.Context ctx = device(new G(LINK_LOCAL, IBV_GID_TYPE_ROCE_V1), new G(LINK_LOCAL, IBV_GID_TYPE_ROCE_V2),
                new G(IPV4, IBV_GID_TYPE_ROCE_V2), new G(IPV4_B, IBV_GID_TYPE_ROCE_V2));
        netdev(1);
        netdev(3);

        GidSelector.Choice c = GidSelector.select(ctx, 1, 4, -1, root);

        assertThat(c.index()).isEqualTo(3);
        assertThat(c.withNetdev()).isTrue();
        assertThat(c.text()).isEqualTo("00:00:00:00:00:00:00:00:00:00:ff:ff:0a:00:01:07");
    }

    @Test
    void ipv4WithoutNetdevBeatsIpv6WithNetdev() throws Exception {
        RdmaVerbs.Context ctx = device(new G(LINK_LOCAL, IBV_GID_TYPE_ROCE_V2), new G(IPV4, IBV_GID_TYPE_ROCE_V2));
        netdev(0);

        assertThat(GidSelector.select(ctx, 1, 2, -1, root).index()).isEqualTo(1);
    }

    @Test
    void infinibandGidIsUsedAndRoceV1Never() throws Exception {
        assertThat(GidSelector.select(device(new G(LINK_LOCAL, IBV_GID_TYPE_IB)), 1, 1, -1, root).index()).isZero();
        assertThatThrownBy(() -> GidSelector.select(device(new G(LINK_LOCAL, IBV_GID_TYPE_ROCE_V1)), 1, 1, -1, root))
                .isInstanceOf(VerbsException.class).hasMessageContaining("no usable GID")
                .hasMessageContaining("MC_GID_INDEX");
    }

    @Test
    void configuredIndexIsUsedAndAnEmptyOneRefused() throws Exception {
        RdmaVerbs.Context ctx = device(new G(LINK_LOCAL, IBV_GID_TYPE_ROCE_V2), new G(IPV4, IBV_GID_TYPE_ROCE_V2),
                new G(new byte[16], IBV_GID_TYPE_ROCE_V2));

        assertThat(GidSelector.select(ctx, 1, 3, 0, root).index()).isZero();
        assertThatThrownBy(() -> GidSelector.select(ctx, 1, 3, 2, root)).hasMessageContaining("GID index 2")
                .hasMessageContaining("MC_GID_INDEX");
        assertThatThrownBy(() -> GidSelector.select(ctx, 1, 3, 9, root)).hasMessageContaining("GID index 9");
    }
}
