package io.mooncake.probe;

import io.mooncake.engine.transport.Availability.Cause;
import io.mooncake.jna.verbs.Verbs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads verbs devices from {@code /sys/class/infiniband} (the same facts the kernel hands
 * libibverbs) and judges each one as the reference does: listed by libibverbs, its
 * {@code /dev/infiniband/uverbsN} openable, and one port ACTIVE with a GID.
 */
final class VerbsDevices {

    static final String CLASS_DIR = "/sys/class/infiniband";

    private VerbsDevices() {
    }

    /** Every device in sysfs, not yet judged ({@link Cause#NONE}). */
    static List<Hca> read(ProbeContext ctx) {
        List<Hca> out = new ArrayList<>();
        for (Path entry : Sysfs.list(ctx.path(CLASS_DIR))) {
            String name = entry.getFileName().toString();
            Path pci = Sysfs.realPath(entry.resolve("device")).orElse(entry.resolve("device"));
            out.add(new Hca(name, pci.getFileName().toString(), Sysfs.numaNode(pci), pci,
                    Sysfs.linkTarget(pci.resolve("driver")), Sysfs.read(entry.resolve("node_guid"), ""),
                    Sysfs.read(entry.resolve("sys_image_guid"), ""), Sysfs.read(entry.resolve("fw_ver"), ""),
                    Sysfs.read(entry.resolve("hca_type"), ""), Sysfs.read(entry.resolve("board_id"), ""),
                    (int) Sysfs.readLong(pci.resolve("vendor"), 0), (int) Sysfs.readLong(pci.resolve("device"), 0),
                    Sysfs.read(entry.resolve("hw_rev"), ""), ports(entry), uverbs(ctx, entry, name), Cause.NONE, ""));
        }
        return out;
    }

    /**
     * Judges one device.
     *
     * @param listed what libibverbs lists, {@code null} when the library is not loaded (judged elsewhere)
     */
    static Hca judge(ProbeContext ctx, Hca hca, Verbs.DeviceList listed) {
        if (listed != null && !listed.names().contains(hca.name())) {
            String why = listed.errno() != 0
                    ? "libibverbs lists no device (ibv_get_device_list failed with errno " + listed.errno() + ")"
                    : "libibverbs does not list it: its user-space provider (ibverbs-providers, e.g. libmlx5) is missing";
            return hca.withProblem(Cause.NO_LIBRARY, why);
        }
        if (hca.uverbs().isEmpty()) {
            return hca.withProblem(Cause.NO_DEVICE,
                    "no uverbs device in sysfs (the ib_uverbs kernel module is not loaded)");
        }
        DeviceAccess.Result access = ctx.access().check(ctx.path(hca.uverbs()));
        switch (access.status()) {
            case MISSING:
                return hca.withProblem(Cause.NO_DEVICE, hca.uverbs()
                        + " does not exist (udev did not create it, or the container was started without it)");
            case DENIED:
                return hca.withProblem(Cause.PERMISSION_DENIED, "cannot open " + hca.uverbs() + ": permission denied");
            case FAILED:
                return hca.withProblem(Cause.INIT_FAILED, "cannot open " + hca.uverbs() + ": " + access.detail());
            default:
                break;
        }
        Optional<Hca.Port> active = hca.ports().stream().filter(Hca.Port::active).findFirst();
        if (active.isEmpty()) {
            StringBuilder states = new StringBuilder();
            for (Hca.Port p : hca.ports()) {
                states.append(states.length() == 0 ? "" : ", ").append("port ").append(p.number()).append(' ')
                        .append(p.state());
            }
            return hca.withProblem(Cause.NO_DEVICE, "no ACTIVE port (" + (states.length() == 0 ? "no ports" : states)
                    + "); check the cable and, on InfiniBand, the subnet manager");
        }
        if (hca.ports().stream().filter(Hca.Port::active).allMatch(p -> p.gids().isEmpty())) {
            return hca.withProblem(Cause.NO_DEVICE, "port " + active.get().number()
                    + " is ACTIVE but its GID table is empty (on RoCE, give the interface an IP address)");
        }
        return hca;
    }

    /** One line about a device for details and logs. */
    static String summary(Hca h) {
        StringBuilder s = new StringBuilder();
        for (Hca.Port p : h.ports()) {
            s.append("port ").append(p.number()).append(' ').append(p.state()).append(' ').append(p.linkLayer());
            if (!p.rate().isEmpty()) {
                s.append(' ').append(p.rate());
            }
            s.append(", ");
        }
        s.append("NUMA ").append(h.numaNode()).append(", PCI ").append(h.pciAddress());
        if (!h.uverbs().isEmpty()) {
            s.append(", ").append(h.uverbs());
        }
        if (!h.usable()) {
            s.append(": unusable: ").append(h.problem());
        }
        return s.toString();
    }

    private static List<Hca.Port> ports(Path entry) {
        List<Hca.Port> ports = new ArrayList<>();
        for (Path p : Sysfs.list(entry.resolve("ports"))) {
            int number = (int) Sysfs.parseLong(p.getFileName().toString(), 0);
            String[] state = split(Sysfs.read(p.resolve("state"), ""));
            String[] phys = split(Sysfs.read(p.resolve("phys_state"), ""));
            List<Hca.Gid> gids = new ArrayList<>();
            for (Path g : Sysfs.list(p.resolve("gids"))) {
                String value = Sysfs.read(g, "");
                if (value.isEmpty() || value.replace(":", "").chars().allMatch(c -> c == '0')) {
                    continue;
                }
                String idx = g.getFileName().toString();
                gids.add(new Hca.Gid((int) Sysfs.parseLong(idx, -1), value,
                        Sysfs.read(p.resolve("gid_attrs/types/" + idx), ""),
                        Sysfs.read(p.resolve("gid_attrs/ndevs/" + idx), "")));
            }
            ports.add(new Hca.Port(number, state[1], (int) Sysfs.parseLong(state[0], -1), phys[1],
                    Sysfs.read(p.resolve("link_layer"), ""), Sysfs.read(p.resolve("rate"), ""),
                    Sysfs.read(p.resolve("lid"), ""), Sysfs.read(p.resolve("sm_lid"), ""),
                    Sysfs.read(p.resolve("lid_mask_count"), ""), gids));
        }
        return ports;
    }

    /** "4: ACTIVE" to {"4", "ACTIVE"}. */
    private static String[] split(String s) {
        int colon = s.indexOf(':');
        return colon < 0 ? new String[] {"", s} : new String[] {s.substring(0, colon).trim(), s.substring(colon + 1).trim()};
    }

    /** {@code /dev/infiniband/uverbsN} of a device, from its sysfs links; empty when it has none. */
    private static String uverbs(ProbeContext ctx, Path entry, String name) {
        for (Path u : Sysfs.list(entry.resolve("device/infiniband_verbs"))) {
            return "/dev/infiniband/" + u.getFileName();
        }
        for (Path u : Sysfs.list(ctx.path("/sys/class/infiniband_verbs"))) {
            if (Files.isDirectory(u) && Sysfs.read(u.resolve("ibdev"), "").equals(name)) {
                return "/dev/infiniband/" + u.getFileName();
            }
        }
        return "";
    }
}
