package io.mooncake.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Builds a fake host filesystem (sysfs, procfs, /dev) under a test directory, with the same
 * layout the kernel uses: devices under {@code sys/devices/pci.../}, symbolic links from
 * {@code sys/bus/pci/devices} and {@code sys/class/infiniband}, {@code device} and
 * {@code driver} links, and plain files standing in for device nodes.
 */
public final class FakeHost {

    private final Path root;

    public FakeHost(Path root) {
        this.root = root;
    }

    public Path root() {
        return root;
    }

    /** NUMA nodes {@code node0..node(n-1)}. */
    public FakeHost numaNodes(int n) {
        for (int i = 0; i < n; i++) {
            dir("sys/devices/system/node/node" + i);
        }
        return this;
    }

    /** Writes a file (parents created). */
    public FakeHost file(String path, String content) {
        Path p = root.resolve(path);
        try {
            Files.createDirectories(p.getParent());
            Files.writeString(p, content + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    /** Creates a directory. */
    public Path dir(String path) {
        try {
            return Files.createDirectories(root.resolve(path));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A symbolic link at {@code link} pointing (relatively) at {@code target}, both root-relative. */
    public FakeHost link(String link, String target) {
        Path l = root.resolve(link);
        try {
            Files.createDirectories(l.getParent());
            Files.createSymbolicLink(l, l.getParent().relativize(root.resolve(target)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    /**
     * A PCI function at {@code sys/devices/<path>} (path = {@code pci0000:00/0000:00:01.0/...}), linked
     * from {@code sys/bus/pci/devices}; returns its root-relative directory.
     */
    public String pci(String path, int vendor, int device, int classCode, int numa) {
        String dir = "sys/devices/" + path;
        String address = path.substring(path.lastIndexOf('/') + 1);
        file(dir + "/vendor", String.format("0x%04x", vendor));
        file(dir + "/device", String.format("0x%04x", device));
        file(dir + "/class", String.format("0x%06x", classCode));
        file(dir + "/numa_node", Integer.toString(numa));
        link("sys/bus/pci/devices/" + address, dir);
        return dir;
    }

    /** Binds a PCI function to a driver ({@code driver} link into {@code sys/bus/pci/drivers}). */
    public FakeHost driver(String pciDir, String driver) {
        dir("sys/bus/pci/drivers/" + driver);
        return link(pciDir + "/driver", "sys/bus/pci/drivers/" + driver);
    }

    /** Builder of one verbs device. */
    public final class Verbs {
        private final String name;
        private final String pciDir;
        private String linkLayer = "InfiniBand";
        private String state = "4: ACTIVE";
        private String rate = "200 Gb/sec (4X HDR)";
        private String gid = "fe80:0000:0000:0000:b859:9f03:00fa:0001";
        private int uverbs;
        private boolean uverbsFile = true;

        private Verbs(String name, String pciDir, int uverbs) {
            this.name = name;
            this.pciDir = pciDir;
            this.uverbs = uverbs;
        }

        public Verbs roce() {
            linkLayer = "Ethernet";
            gid = "0000:0000:0000:0000:0000:ffff:c000:0201";
            rate = "100 Gb/sec (4X EDR)";
            return this;
        }

        public Verbs linkLayer(String v) {
            linkLayer = v;
            return this;
        }

        public Verbs down() {
            state = "1: DOWN";
            return this;
        }

        public Verbs rate(String v) {
            rate = v;
            return this;
        }

        public Verbs noGid() {
            gid = null;
            return this;
        }

        public Verbs noUverbsFile() {
            uverbsFile = false;
            return this;
        }

        /** Writes the device. */
        public FakeHost add() {
            String ib = pciDir + "/infiniband/" + name;
            file(ib + "/node_guid", String.format("b859:9f03:00fa:%04x", uverbs));
            file(ib + "/sys_image_guid", String.format("b859:9f03:00fa:%04x", uverbs));
            file(ib + "/fw_ver", "20.35.2000");
            file(ib + "/hca_type", "MT4123");
            file(ib + "/board_id", "MT_0000000223");
            file(ib + "/hw_rev", "0x0");
            file(ib + "/node_type", "1: CA");
            link(ib + "/device", pciDir);
            String port = ib + "/ports/1";
            file(port + "/state", state);
            file(port + "/phys_state", state.startsWith("4") ? "5: LinkUp" : "3: Disabled");
            file(port + "/link_layer", linkLayer);
            file(port + "/rate", rate);
            file(port + "/lid", "0x" + Integer.toHexString(uverbs + 1));
            file(port + "/sm_lid", "0x1");
            file(port + "/lid_mask_count", "0");
            file(port + "/gids/1", "0000:0000:0000:0000:0000:0000:0000:0000");
            if (gid != null) {
                file(port + "/gids/0", gid);
                file(port + "/gid_attrs/types/0", linkLayer.equals("Ethernet") ? "RoCE v2" : "IB/RoCE v1");
            }
            dir(pciDir + "/infiniband_verbs/uverbs" + uverbs);
            file(pciDir + "/infiniband_verbs/uverbs" + uverbs + "/ibdev", name);
            link("sys/class/infiniband/" + name, ib);
            if (uverbsFile) {
                file("dev/infiniband/uverbs" + uverbs, "");
            }
            return FakeHost.this;
        }
    }

    /** A verbs device on a PCI function created earlier. */
    public Verbs verbs(String name, String pciDir, int uverbs) {
        return new Verbs(name, pciDir, uverbs);
    }

    /** A Mellanox ConnectX-6 HCA bound to mlx5_core, active on InfiniBand. */
    public Verbs mlx5(String name, String pciPath, int numa, int uverbs) {
        String dir = pci(pciPath, 0x15b3, 0x101b, 0x020700, numa);
        driver(dir, "mlx5_core");
        return verbs(name, dir, uverbs);
    }

    /** An NVIDIA GPU with its /dev/nvidia node and procfs entry. */
    public FakeHost nvidiaGpu(String pciPath, int numa, int minor) {
        String dir = pci(pciPath, 0x10de, 0x2330, 0x030200, numa);
        driver(dir, "nvidia");
        String address = pciPath.substring(pciPath.lastIndexOf('/') + 1);
        file("proc/driver/nvidia/gpus/" + address + "/information", "Model: \t\t NVIDIA H100 80GB HBM3\nDevice Minor: \t "
                + minor + "\n");
        file("dev/nvidia" + minor, "");
        return file("dev/nvidiactl", "");
    }

    /** An AMD Instinct GPU with its render node and /dev/kfd. */
    public FakeHost amdGpu(String pciPath, int numa, int render) {
        String dir = pci(pciPath, 0x1002, 0x74a1, 0x120000, numa);
        driver(dir, "amdgpu");
        dir(dir + "/drm/renderD" + render);
        dir(dir + "/drm/card" + (render - 128));
        file("dev/dri/renderD" + render, "");
        return file("dev/kfd", "");
    }

    /** A Huawei Ascend NPU and its /dev/davinci node. */
    public FakeHost ascendNpu(String pciPath, int numa, int index) {
        pci(pciPath, 0x19e5, 0xd802, 0x120000, numa);
        file("dev/davinci" + index, "");
        return file("dev/davinci_manager", "");
    }

    /** A Cambricon MLU and its /dev/cambricon_dev node. */
    public FakeHost mlu(String pciPath, int numa, int index) {
        pci(pciPath, 0xcabc, 0x0590, 0x120000, numa);
        file("dev/cambricon_dev" + index, "");
        return file("dev/cambricon_ctl", "");
    }

    /** An AWS EFA device (PCI 1d0f:efa1 bound to efa) with its verbs device. */
    public Verbs efa(String name, String pciPath, int numa, int uverbs) {
        String dir = pci(pciPath, 0x1d0f, 0xefa1, 0x020000, numa);
        driver(dir, "efa");
        return verbs(name, dir, uverbs).linkLayer("Unspecified").rate("100 Gb/sec (4X EDR)");
    }

    /** A device-DAX region and its /dev node. */
    public FakeHost dax(String name, long size, int targetNode) {
        file("sys/bus/dax/devices/" + name + "/size", Long.toString(size));
        file("sys/bus/dax/devices/" + name + "/target_node", Integer.toString(targetNode));
        return file("dev/" + name, "");
    }

    /** An NVMe controller with namespaces. */
    public FakeHost nvme(String name, String transport, String model, String... namespaces) {
        file("sys/class/nvme/" + name + "/transport", transport);
        file("sys/class/nvme/" + name + "/model", model);
        file("sys/class/nvme/" + name + "/subsysnqn", "nqn.2014-08.org.nvmexpress:" + name);
        for (String ns : namespaces) {
            dir("sys/class/nvme/" + name + "/" + ns);
        }
        return this;
    }
}
