package io.mooncake.sample.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/** The Kubernetes objects of one manifest file, with small helpers to walk them. */
final class Manifests {

    static final Path K8S = Path.of("..", "config-examples", "k8s");

    static final Path PLAIN = K8S.resolve("plain");

    final String file;

    final List<Map<String, Object>> objects;

    private Manifests(String file, List<Map<String, Object>> objects) {
        this.file = file;
        this.objects = objects;
    }

    static Manifests load(Path path) {
        try {
            return parse(path.getFileName().toString(), Files.readString(path));
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    @SuppressWarnings("unchecked")
    static Manifests parse(String name, String yaml) {
        List<Map<String, Object>> objects = new ArrayList<>();
        for (Object document : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(yaml)) {
            if (document != null) {
                objects.add((Map<String, Object>) document);
            }
        }
        return new Manifests(name, objects);
    }

    /** The one object of this kind and name; fails naming the file when there is none. */
    Map<String, Object> get(String kind, String name) {
        return this.objects.stream()
            .filter((o) -> kind.equals(o.get("kind")) && name.equals(map(o, "metadata").get("name")))
            .findFirst()
            .orElseThrow(() -> new AssertionError(this.file + " has no " + kind + " named " + name));
    }

    List<Map<String, Object>> all(String kind) {
        return this.objects.stream().filter((o) -> kind.equals(o.get("kind"))).toList();
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Map<String, Object> parent, String... path) {
        Object current = parent;
        for (String key : path) {
            assertThat(current).as("parent of '%s'", key).isInstanceOf(Map.class);
            current = ((Map<String, Object>) current).get(key);
            assertThat(current).as("'%s' in %s", key, String.join(".", path)).isNotNull();
        }
        return (Map<String, Object>) current;
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> list(Map<String, Object> parent, String key) {
        Object value = parent.get(key);
        return (value != null) ? (List<Map<String, Object>>) value : List.of();
    }

    static String string(Map<String, Object> parent, String key) {
        return Objects.toString(parent.get(key), null);
    }

    /** The first container of a workload's pod template. */
    static Map<String, Object> container(Map<String, Object> workload) {
        return list(map(workload, "spec", "template", "spec"), "containers").get(0);
    }

    /** A container's ports by name. */
    static Map<String, Integer> containerPorts(Map<String, Object> container) {
        Map<String, Integer> ports = new java.util.LinkedHashMap<>();
        for (Map<String, Object> port : list(container, "ports")) {
            ports.put(string(port, "name"), ((Number) port.get("containerPort")).intValue());
        }
        return ports;
    }

    /** A container's env values by name ({@code null} for valueFrom entries). */
    static Map<String, String> env(Map<String, Object> container) {
        Map<String, String> env = new java.util.LinkedHashMap<>();
        for (Map<String, Object> e : list(container, "env")) {
            env.put(string(e, "name"), string(e, "value"));
        }
        return env;
    }

    @Override
    public String toString() {
        return this.file;
    }
}
