package io.mooncake.topology;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The NIC priority matrix of the reference engine: for each memory location ({@code cpu:<numa>},
 * {@code cuda:<n>}, {@code hip:<n>}, {@code npu:<n>}, {@code mlu:<n>}) the NICs to prefer and the
 * ones that also work, plus the devices in rank order. Immutable and thread-safe.
 *
 * <p>JSON form, as published in segment descriptors and read from {@code MC_CUSTOM_TOPO_JSON}:
 * {@code {"cpu:0":[["mlx5_0"],["mlx5_1"]],"cuda:0":[["mlx5_0"],["mlx5_1"]]}}.
 */
public final class Topology {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    /**
     * One location's NICs.
     *
     * @param preferred the NICs closest to the location
     * @param available the other NICs, used when the preferred ones fail
     */
    public record Entry(List<String> preferred, List<String> available) {

        public Entry {
            preferred = List.copyOf(preferred);
            available = List.copyOf(available);
        }
    }

    private final Map<String, Entry> matrix;
    private final List<String> devices;

    /**
     * A topology.
     *
     * @param matrix entries by location, in output order
     * @param devices every NIC that appears, best first
     */
    public Topology(Map<String, Entry> matrix, List<String> devices) {
        this.matrix = Collections.unmodifiableMap(new LinkedHashMap<>(matrix));
        this.devices = List.copyOf(devices);
    }

    /** Entries by location, in output order. */
    public Map<String, Entry> matrix() {
        return matrix;
    }

    /** The NICs in rank order: the ones most locations prefer first. */
    public List<String> devices() {
        return devices;
    }

    /** The entry of a location, or {@code null}. */
    public Entry entry(String location) {
        return matrix.get(location);
    }

    /** Whether no NIC appears. */
    public boolean isEmpty() {
        return devices.isEmpty();
    }

    /** The compact JSON form. */
    public String toJson() {
        ObjectNode root = JSON.createObjectNode();
        matrix.forEach((loc, e) -> {
            ArrayNode pair = root.putArray(loc);
            ArrayNode pref = pair.addArray();
            e.preferred().forEach(pref::add);
            ArrayNode avail = pair.addArray();
            e.available().forEach(avail::add);
        });
        return JSON.writeValueAsString(root);
    }

    @Override
    public String toString() {
        return toJson();
    }

    /**
     * Parses the JSON form; every value must be exactly {@code [[preferred...],[available...]]} of strings.
     *
     * @param source where the text came from, for error messages ({@code MC_CUSTOM_TOPO_JSON=/etc/topo.json})
     * @throws MooncakeException naming the source, the offending key and the expected shape
     */
    public static Topology parse(String json, String source) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JacksonException e) {
            throw invalid(source, "is not valid JSON (" + e.getOriginalMessage() + ")");
        }
        if (root == null || !root.isObject()) {
            throw invalid(source, "must be a JSON object mapping locations to [[preferred...],[available...]]");
        }
        Map<String, Entry> matrix = new LinkedHashMap<>();
        Set<String> devices = new LinkedHashSet<>();
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            JsonNode v = field.getValue();
            if (!v.isArray() || v.size() != 2 || !v.get(0).isArray() || !v.get(1).isArray()) {
                throw invalid(source, "key '" + field.getKey() + "' must map to [[preferred...],[available...]], got "
                        + v);
            }
            List<List<String>> lists = new ArrayList<>();
            for (JsonNode list : v) {
                List<String> names = new ArrayList<>();
                for (JsonNode n : list) {
                    if (!n.isString() || n.asString().isBlank()) {
                        throw invalid(source, "key '" + field.getKey() + "' lists " + n + ", expected device names");
                    }
                    names.add(n.asString());
                }
                lists.add(names);
            }
            devices.addAll(lists.get(0));
            devices.addAll(lists.get(1));
            matrix.put(field.getKey(), new Entry(lists.get(0), lists.get(1)));
        }
        return new Topology(matrix, new ArrayList<>(devices));
    }

    private static MooncakeException invalid(String source, String what) {
        return new MooncakeException(ErrorCode.INVALID_ARGUMENT, "topology " + source + " " + what
                + "; example: {\"cpu:0\":[[\"mlx5_0\"],[\"mlx5_1\"]]}");
    }
}
