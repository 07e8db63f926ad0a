package io.mooncake.transport.nvmeof;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * An NVMe-oF segment as the reference stores it: never published by an engine, written by an
 * operator tool (the reference's {@code register.py}, here {@link NvmeofRegister}) under
 * {@code mooncake/[<cluster>/]nvmeof/<name>} (the segment is named {@code nvmeof/<name>}), with
 * {@code protocol} {@code nvmeof} and one buffer per file: {@code file_path}, {@code length} and
 * {@code local_path_map} (host, that is the reading node's segment name, to the path at which that
 * node sees the file, e.g. the NVMe-oF namespace's block device on the initiator).
 *
 * <p>A request's target offset is an offset into the concatenation of the files in order; a
 * request may span several files ({@link #locate}).
 *
 * @param name segment name, {@code nvmeof/<name>}
 * @param files the files, in order
 */
public record NvmeofSegment(String name, List<NvmeofFile> files) {

    /** The protocol value of these descriptors. */
    public static final String PROTOCOL = "nvmeof";
    private static final ObjectMapper MAPPER = JsonMapper.builder().build();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /**
     * One file of the segment.
     *
     * @param filePath the path on the node that owns the file (informational)
     * @param length bytes of the file that belong to the segment
     * @param localPathMap node (segment name or host) to the path at which that node reads the file
     */
    public record NvmeofFile(String filePath, long length, Map<String, String> localPathMap) {

        public NvmeofFile {
            Objects.requireNonNull(filePath, "filePath");
            if (length <= 0) {
                throw new IllegalArgumentException("length of " + filePath + " must be > 0: " + length);
            }
            localPathMap = localPathMap == null ? Map.of() : Map.copyOf(localPathMap);
        }
    }

    /**
     * One piece of a request: {@code length} bytes at {@code fileOffset} of file {@code file}, at
     * {@code requestOffset} bytes from the start of the request.
     */
    public record Piece(int file, long fileOffset, long requestOffset, long length) {
    }

    public NvmeofSegment {
        Objects.requireNonNull(name, "name");
        files = List.copyOf(files);
    }

    /** The metadata key name: {@code nvmeof/<name>} for a bare name, else the name as given. */
    public static String segmentName(String name) {
        return name.startsWith(PROTOCOL + "/") ? name : PROTOCOL + "/" + name;
    }

    /** Total bytes (the concatenation). */
    public long length() {
        long n = 0;
        for (NvmeofFile f : files) {
            n += f.length();
        }
        return n;
    }

    /**
     * The path at which {@code node} reads file {@code index}: the map's entry for the node.
     *
     * @throws MooncakeException naming the segment, the file, the node and the nodes the map lists
     */
    public String localPath(int index, String node) {
        NvmeofFile f = files.get(index);
        String p = f.localPathMap().get(node);
        if (p == null) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "nvmeof segment '" + name + "' file "
                    + f.filePath() + " has no local_path_map entry for this node '" + node + "' (it lists "
                    + new TreeMap<>(f.localPathMap()).keySet() + "); register the path this node sees it at "
                    + "(mooncake-nvmeof-register ... --file " + f.filePath() + ":" + f.length() + ":" + node + "=<path>)");
        }
        return p;
    }

    /**
     * Cuts {@code [offset, offset + length)} of the concatenation into per-file pieces, in order.
     *
     * @throws MooncakeException when the range is not inside the segment
     */
    public List<Piece> locate(long offset, long length) {
        long total = length();
        if (offset < 0 || length < 0 || offset > total || length > total - offset) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT, "range [" + offset + ", +" + length
                    + ") is outside nvmeof segment '" + name + "' of " + total + " bytes");
        }
        List<Piece> pieces = new ArrayList<>(2);
        long start = 0;
        long done = 0;
        for (int i = 0; i < files.size() && done < length; i++) {
            long flen = files.get(i).length();
            long end = start + flen;
            long at = offset + done;
            if (at < end) {
                long n = Math.min(end - at, length - done);
                pieces.add(new Piece(i, at - start, done, n));
                done += n;
            }
            start = end;
        }
        return pieces;
    }

    /** The descriptor JSON as the reference stores it (keys sorted, compact). */
    public String encode() {
        ObjectNode root = NODES.objectNode();
        ArrayNode buffers = root.putArray("buffers");
        for (NvmeofFile f : files) {
            ObjectNode b = buffers.addObject();
            b.put("file_path", f.filePath());
            b.put("length", f.length());
            ObjectNode map = b.putObject("local_path_map");
            new TreeMap<>(f.localPathMap()).forEach(map::put);
        }
        root.put("name", name);
        root.put("protocol", PROTOCOL);
        return MAPPER.writeValueAsString(root);
    }

    /** {@link #encode()} as stored (etcd and Redis values end with a newline). */
    public byte[] encodeValue() {
        return (encode() + "\n").getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Reads a stored descriptor.
     *
     * @throws MooncakeException naming the field and the value when it is not an nvmeof descriptor
     */
    public static NvmeofSegment decode(String json) {
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (RuntimeException e) {
            throw invalid("is not JSON: " + e.getMessage());
        }
        String name = root.path("name").asString("");
        if (!PROTOCOL.equals(root.path("protocol").asString(""))) {
            throw invalid("'" + name + "' has protocol '" + root.path("protocol").asString("") + "', not nvmeof");
        }
        List<NvmeofFile> files = new ArrayList<>();
        for (JsonNode b : root.path("buffers")) {
            String path = b.path("file_path").asString(null);
            JsonNode len = b.path("length");
            if (path == null || path.isEmpty()) {
                throw invalid("'" + name + "' has a buffer without file_path: " + b);
            }
            if (!len.canConvertToLong() || len.asLong() <= 0) {
                throw invalid("'" + name + "' file " + path + " has length " + len + "; it must be a positive integer");
            }
            Map<String, String> map = new TreeMap<>();
            for (Map.Entry<String, JsonNode> e : b.path("local_path_map").properties()) {
                map.put(e.getKey(), e.getValue().asString(""));
            }
            files.add(new NvmeofFile(path, len.asLong(), map));
        }
        if (files.isEmpty()) {
            throw invalid("'" + name + "' lists no files (buffers is empty)");
        }
        return new NvmeofSegment(name, files);
    }

    private static MooncakeException invalid(String what) {
        return new MooncakeException(ErrorCode.INVALID_ARGUMENT, "nvmeof descriptor " + what);
    }
}
