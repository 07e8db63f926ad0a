package io.mooncake.transport.ascend;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * The NPU network configuration {@code /etc/hccn.conf} (written by {@code hccn_tool}), of which
 * the reference reads the {@code address_<physical id>=<IPv4>} lines to publish each NPU's RoCE
 * address as {@code rank_info.deviceIp}. Keys are read as the reference does (leading spaces
 * after {@code address_} ignored, the value trimmed).
 */
public final class HccnConf {

    /** Where the Ascend driver keeps it. */
    public static final Path DEFAULT = Path.of("/etc/hccn.conf");

    private final Path path;
    private final Map<String, String> addresses;

    private HccnConf(Path path, Map<String, String> addresses) {
        this.path = path;
        this.addresses = addresses;
    }

    /** Reads {@code path}; a missing file is an error naming it and the fix. */
    public static HccnConf read(Path path) {
        String text;
        try {
            text = Files.readString(path);
        } catch (NoSuchFileException e) {
            throw new MooncakeException(ErrorCode.DEVICE_NOT_FOUND, "cannot open " + path + ": the NPUs' network "
                    + "addresses are not configured; set them with hccn_tool -i <N> -ip -s address <ip> netmask <mask>");
        } catch (IOException e) {
            throw new MooncakeException(ErrorCode.DEVICE_NOT_FOUND, "cannot read " + path + ": " + e.getMessage());
        }
        return parse(path, text);
    }

    /** Parses the text of a file at {@code path}. */
    public static HccnConf parse(Path path, String text) {
        Map<String, String> out = new TreeMap<>();
        for (String line : text.split("\n")) {
            if (!line.startsWith("address_")) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq < 0) {
                continue;
            }
            out.put(line.substring(8, eq).stripLeading(), line.substring(eq + 1).strip());
        }
        return new HccnConf(path, out);
    }

    /**
     * The RoCE address of the NPU with physical id {@code devicePhyId}.
     *
     * @throws MooncakeException naming the file, the missing key and the fix
     */
    public String deviceIp(int devicePhyId) {
        String ip = addresses.get(Integer.toString(devicePhyId));
        if (ip == null) {
            throw new MooncakeException(ErrorCode.DEVICE_NOT_FOUND, path + " has no address_" + devicePhyId
                    + " line (it lists " + (addresses.isEmpty() ? "none" : "address_" + String.join(", address_",
                    addresses.keySet())) + "); set it with hccn_tool -i " + devicePhyId
                    + " -ip -s address <ip> netmask <mask>");
        }
        if (!AscendSegmentName.isIpv4(ip)) {
            throw new MooncakeException(ErrorCode.DEVICE_NOT_FOUND, path + ": address_" + devicePhyId + " is '" + ip
                    + "', not an IPv4 address");
        }
        return ip;
    }
}
