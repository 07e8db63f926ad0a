package io.mooncake.sample.k8s;

import static io.mooncake.sample.k8s.Manifests.container;
import static io.mooncake.sample.k8s.Manifests.containerPorts;
import static io.mooncake.sample.k8s.Manifests.env;
import static io.mooncake.sample.k8s.Manifests.list;
import static io.mooncake.sample.k8s.Manifests.map;
import static io.mooncake.sample.k8s.Manifests.string;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.mooncake.engine.core.MooncakeEngine;
import io.mooncake.sample.SampleApplication;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.ToIntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.EnumerablePropertySource;
import org.springframework.core.io.ClassPathResource;
import org.springframework.util.unit.DataSize;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The manifests in config-examples/k8s, parsed and checked against the app they deploy: every
 * port the app opens is a declared containerPort (the tcp manifest's app is started and the JVM's
 * listening sockets are read from /proc), the probes and the ServiceMonitor point at Actuator paths
 * that answer, the ConfigMap's keys are real {@code mooncake.*} properties, the memory limit covers
 * the registered memory and /dev/shm, the pods' names are their segment names, and each overlay
 * asks for what its hardware needs. Where a kubectl with kustomize v4.2+ is on PATH, the plain
 * files are also checked to be what the overlays render.
 */
class KubernetesManifestTests {

    static final String APP = "mooncake-sample";

    /** The port properties of the sample app, each with the port it really opened. */
    static final Map<String, ToIntFunction<ConfigurableApplicationContext>> PORT_PROPERTIES = new LinkedHashMap<>();

    static {
        PORT_PROPERTIES.put("server.port",
                (c) -> Integer.parseInt(c.getEnvironment().getProperty("local.server.port")));
        PORT_PROPERTIES.put("mooncake.handshake-port", (c) -> c.getBean(MooncakeEngine.class).rpcPort());
        PORT_PROPERTIES.put("mooncake.tcp-data-port",
                (c) -> c.getBean(MooncakeEngine.class).localDescriptor().tcpDataPort());
    }

    /** JVM memory besides the heap: metaspace, code, thread stacks, direct I/O buffers. */
    static final DataSize NON_HEAP_ALLOWANCE = DataSize.ofMegabytes(384);

    static Stream<String> plainFiles() throws IOException {
        try (Stream<Path> files = Files.list(Manifests.PLAIN)) {
            return files.map((p) -> p.getFileName().toString()).filter((n) -> n.endsWith(".yaml")).sorted().toList()
                .stream();
        }
    }

    @Test
    void everyOverlayHasAPlainFile() throws IOException {
        try (Stream<Path> overlays = Files.list(Manifests.K8S.resolve("overlays"))) {
            assertThat(plainFiles()).containsExactlyInAnyOrderElementsOf(
                    overlays.map((p) -> p.getFileName() + ".yaml").toList());
        }
    }

    @ParameterizedTest
    @MethodSource("plainFiles")
    void configMapKeysAreRealMooncakeProperties(String file) throws IOException {
        Map<String, Object> data = configMap(file);
        Set<String> known = knownProperties();
        assertThat(data.keySet()).as("keys of ConfigMap %s in %s", APP, file).isNotEmpty()
            .allSatisfy((key) -> assertThat(known).as("'%s' (ConfigMap %s in %s) is a property in the configuration "
                    + "metadata", key, APP, file).contains(key));
    }

    @ParameterizedTest
    @MethodSource("plainFiles")
    void everyPortPropertyIsFixedAndDeclared(String file) throws IOException {
        Manifests m = Manifests.load(Manifests.PLAIN.resolve(file));
        Map<String, Integer> declared = containerPorts(container(m.get("StatefulSet", APP)));
        Map<String, String> config = effectiveConfig(file);
        for (String property : PORT_PROPERTIES.keySet()) {
            String value = config.get(property);
            assertThat(value).as("%s in %s: a fixed port (0 would be random and undeclarable)", property, file)
                .isNotNull().isNotEqualTo("0");
            assertThat(declared.values()).as("%s=%s is a containerPort of %s in %s", property, value, APP, file)
                .contains(Integer.parseInt(value));
        }
        assertThat(declared).as("named ports of %s", file).containsKeys("http", "handshake", "data");
        assertThat(declared.get("http")).isEqualTo(Integer.parseInt(config.get("server.port")));
        assertThat(declared.get("handshake")).isEqualTo(Integer.parseInt(config.get("mooncake.handshake-port")));
        assertThat(declared.get("data")).isEqualTo(Integer.parseInt(config.get("mooncake.tcp-data-port")));
    }

    @ParameterizedTest
    @MethodSource("plainFiles")
    void headlessServiceGivesEveryPodItsSegmentName(String file) throws IOException {
        Manifests m = Manifests.load(Manifests.PLAIN.resolve(file));
        Map<String, Object> service = m.get("Service", APP);
        Map<String, Object> statefulSet = m.get("StatefulSet", APP);
        Map<String, Object> c = container(statefulSet);
        Map<String, String> config = effectiveConfig(file);

        assertThat(map(service, "spec").get("clusterIP")).isEqualTo("None");
        assertThat(map(service, "spec").get("publishNotReadyAddresses")).isEqualTo(true);
        assertThat(string(map(statefulSet, "spec"), "serviceName")).isEqualTo(APP);
        assertThat(config.get("mooncake.kubernetes.discovery.service-name")).isEqualTo(APP);
        assertThat(env(c)).containsEntry("MOONCAKE_LOCAL_HOSTNAME", "$(POD_NAME)." + APP + ".$(POD_NAMESPACE).svc."
                + config.get("mooncake.kubernetes.discovery.cluster-domain"));
        assertThat(env(c)).containsEntry("SPRING_CONFIG_IMPORT", "kubernetes:");
        Map<String, Integer> declared = containerPorts(c);
        for (Map<String, Object> port : list(map(service, "spec"), "ports")) {
            assertThat(declared).as("Service port %s targets a containerPort of that name", port)
                .containsEntry(string(port, "targetPort"), (Integer) port.get("port"));
        }
        assertThat(list(map(service, "spec"), "ports")).extracting((p) -> p.get("name"))
            .containsExactlyInAnyOrder("http", "handshake", "data");
    }

    @ParameterizedTest
    @MethodSource("plainFiles")
    void probesAndScrapesUseActuatorPathsOnTheHttpPort(String file) {
        Manifests m = Manifests.load(Manifests.PLAIN.resolve(file));
        Map<String, Object> c = container(m.get("StatefulSet", APP));
        for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
            Map<String, Object> get = map(c, probe, "httpGet");
            assertThat(get.get("port")).as("%s port", probe).isEqualTo("http");
            assertThat(string(get, "path")).as("%s path", probe).isIn(ACTUATOR_PATHS);
        }
        assertThat(string(map(c, "livenessProbe", "httpGet"), "path")).isEqualTo("/actuator/health/liveness");
        assertThat(string(map(c, "readinessProbe", "httpGet"), "path")).isEqualTo("/actuator/health/readiness");
        Map<String, Object> endpoint = list(map(m.get("ServiceMonitor", APP), "spec"), "endpoints").get(0);
        assertThat(string(endpoint, "path")).isEqualTo("/actuator/prometheus").isIn(ACTUATOR_PATHS);
        assertThat(list(map(m.get("Service", APP), "spec"), "ports")).extracting((p) -> p.get("name"))
            .contains(endpoint.get("port"));
        assertThat(map(m.get("Service", APP), "metadata", "labels"))
            .containsAllEntriesOf(map(m.get("ServiceMonitor", APP), "spec", "selector", "matchLabels"));
    }

    /** The Actuator paths the running app answers 200 on ({@link #appOpensOnlyDeclaredPorts} checks it). */
    static final List<String> ACTUATOR_PATHS = List.of("/actuator/health/liveness", "/actuator/health/readiness",
            "/actuator/prometheus");

    @ParameterizedTest
    @MethodSource("plainFiles")
    void memoryLimitCoversRegisteredMemoryAndSharedMemory(String file) throws IOException {
        Manifests m = Manifests.load(Manifests.PLAIN.resolve(file));
        Map<String, Object> statefulSet = m.get("StatefulSet", APP);
        Map<String, Object> c = container(statefulSet);
        Map<String, String> config = effectiveConfig(file);

        Map<String, Object> shm = list(map(statefulSet, "spec", "template", "spec"), "volumes").stream()
            .filter((v) -> "dshm".equals(v.get("name"))).findFirst().orElseThrow();
        assertThat(map(shm, "emptyDir").get("medium")).isEqualTo("Memory");
        assertThat(list(c, "volumeMounts")).anySatisfy((mount) -> {
            assertThat(mount.get("name")).isEqualTo("dshm");
            assertThat(mount.get("mountPath")).isEqualTo("/dev/shm");
        });
        long shmBytes = quantity(string(map(shm, "emptyDir"), "sizeLimit"));
        Matcher xmx = Pattern.compile("-Xmx(\\d+[kmgKMG]?)").matcher(env(c).get("JAVA_TOOL_OPTIONS"));
        assertThat(xmx.find()).as("JAVA_TOOL_OPTIONS sets -Xmx").isTrue();
        long heap = DataSize.parse(xmx.group(1).toUpperCase() + "B").toBytes();
        long registered = DataSize.parse(config.get("mooncake.global-segment-size")).toBytes()
                + DataSize.parse(config.get("mooncake.local-buffer-size")).toBytes();
        // the shm transport allocates the segment and the staging pool as files in /dev/shm
        assertThat(shmBytes).as("/dev/shm sizeLimit in %s holds the registered memory (%d bytes)", file, registered)
            .isGreaterThanOrEqualTo(registered);
        // registered memory is in /dev/shm, or (shm unusable) private memory of the same size: counted once
        long needed = heap + NON_HEAP_ALLOWANCE.toBytes() + Math.max(shmBytes, registered);

        Map<String, Object> resources = map(c, "resources");
        long limit = quantity(string(map(resources, "limits"), "memory"));
        assertThat(limit).as("memory limit of %s in %s (heap %d + non-heap %d + /dev/shm %d holding registered %d)",
                APP, file, heap, NON_HEAP_ALLOWANCE.toBytes(), shmBytes, registered).isGreaterThanOrEqualTo(needed);
        assertThat(map(resources, "requests").get("memory")).as("memory request = limit")
            .isEqualTo(map(resources, "limits").get("memory"));
    }

    @ParameterizedTest
    @MethodSource("plainFiles")
    void sharedSecretComesFromASecretAndRbacIsMinimal(String file) {
        Manifests m = Manifests.load(Manifests.PLAIN.resolve(file));
        Map<String, Object> c = container(m.get("StatefulSet", APP));
        Map<String, Object> auth = list(c, "env").stream().filter((e) -> "MOONCAKE_AUTH_SECRET".equals(e.get("name")))
            .findFirst().orElseThrow(() -> new AssertionError("no MOONCAKE_AUTH_SECRET in " + file));
        assertThat(map(auth, "valueFrom", "secretKeyRef")).containsEntry("name", "mooncake-sample-auth")
            .containsEntry("key", "shared-secret")
            .as("the secret is required: a pod without it would be refused by its peers")
            .doesNotContainEntry("optional", true);
        // the Mooncake listeners bind the pod IP, the address peers reach, not every interface
        assertThat(env(c)).containsEntry("MC_TCP_BIND_ADDRESS", "$(POD_IP)");
        Map<String, Object> podIp = list(c, "env").stream().filter((e) -> "POD_IP".equals(e.get("name")))
            .findFirst().orElseThrow(() -> new AssertionError("no POD_IP in " + file));
        assertThat(map(podIp, "valueFrom", "fieldRef")).containsEntry("fieldPath", "status.podIP");
        assertThat(list(c, "env")).extracting((e) -> e.get("name"))
            .as("POD_IP is defined before the variable that uses it")
            .containsSubsequence("POD_IP", "MC_TCP_BIND_ADDRESS");
        // only the app's own pods reach the handshake and data ports
        Map<String, Object> policy = m.get("NetworkPolicy", APP);
        assertThat(map(policy, "spec", "podSelector", "matchLabels"))
            .containsEntry("app.kubernetes.io/name", APP);
        List<Map<String, Object>> ingress = list(map(policy, "spec"), "ingress");
        assertThat(ingress).anySatisfy((rule) -> {
            assertThat(list(rule, "ports")).extracting((p) -> p.get("port")).containsExactlyInAnyOrder("handshake",
                    "data");
            assertThat(list(rule, "from")).singleElement()
                .satisfies((from) -> assertThat(map(from, "podSelector", "matchLabels"))
                    .containsEntry("app.kubernetes.io/name", APP));
        });
        assertThat(ingress).as("no rule opens the Mooncake ports to everyone").allSatisfy((rule) -> {
            if (!rule.containsKey("from")) {
                assertThat(list(rule, "ports")).extracting((p) -> p.get("port")).containsOnly("http");
            }
        });
        assertThat(env(c)).containsEntry("SPRING_CLOUD_KUBERNETES_SECRETS_ENABLED", "false");

        List<Map<String, Object>> rules = list(m.get("Role", APP), "rules");
        assertThat(rules).anySatisfy((r) -> {
            assertThat(r.get("resources")).isEqualTo(List.of("configmaps"));
            assertThat(r.get("verbs")).isEqualTo(List.of("get", "list", "watch"));
        });
        assertThat(rules).anySatisfy((r) -> {
            assertThat(r.get("apiGroups")).isEqualTo(List.of("discovery.k8s.io"));
            assertThat(r.get("resources")).isEqualTo(List.of("endpointslices"));
        });
        assertThat(rules).noneSatisfy((r) -> assertThat(String.valueOf(r.get("resources"))).contains("secrets"));
        assertThat(string(map(m.get("StatefulSet", APP), "spec", "template", "spec"), "serviceAccountName"))
            .isEqualTo(APP);
    }

    @ParameterizedTest
    @MethodSource("plainFiles")
    void grafanaDashboardIsTheOneInConfigExamples(String file) throws IOException {
        Manifests m = Manifests.load(Manifests.PLAIN.resolve(file));
        Map<String, Object> dashboard = m.get("ConfigMap", "mooncake-grafana-dashboard");
        String json = Files.readString(Path.of("..", "config-examples", "grafana", "mooncake-dashboard.json"));
        assertThat(map(dashboard, "data").get("mooncake-dashboard.json")).isEqualTo(json);
        assertThat(map(dashboard, "metadata", "labels")).containsEntry("grafana_dashboard", "1");
        assertThat(Files.readString(Manifests.K8S.resolve("base").resolve("mooncake-dashboard.json")))
            .as("base's copy of the dashboard").isEqualTo(json);
    }

    @Test
    void tcpNeedsNoPrivilegesNorDevices() {
        Manifests m = Manifests.load(Manifests.PLAIN.resolve("tcp.yaml"));
        Map<String, Object> statefulSet = m.get("StatefulSet", APP);
        Map<String, Object> c = container(statefulSet);
        assertThat(map(statefulSet, "spec", "template", "spec")).doesNotContainKey("hostNetwork");
        assertThat(map(c, "securityContext", "capabilities")).doesNotContainKey("add")
            .containsEntry("drop", List.of("ALL"));
        assertThat(map(c, "resources", "limits")).containsOnlyKeys("memory");
        assertThat(configMapValue("tcp.yaml", "mooncake.protocol")).isEqualTo("tcp");
        assertThat(configMapValue("tcp.yaml", "mooncake.metadata-server")).isEqualTo("P2PHANDSHAKE");
    }

    @Test
    void rdmaAsksForAnHcaAGpuIpcLockAndTheHostNetwork() {
        Manifests m = Manifests.load(Manifests.PLAIN.resolve("rdma.yaml"));
        Map<String, Object> statefulSet = m.get("StatefulSet", APP);
        Map<String, Object> c = container(statefulSet);
        assertThat(map(c, "resources", "limits")).containsKey("nvidia.com/gpu")
            .hasKeySatisfying(new org.assertj.core.api.Condition<>((k) -> k.startsWith("rdma/"), "an rdma/ resource"));
        assertThat(map(c, "resources", "limits")).isEqualTo(withMemory(map(c, "resources", "requests")));
        assertThat(map(c, "securityContext", "capabilities").get("add")).isEqualTo(List.of("IPC_LOCK"));
        assertThat(map(c, "securityContext")).doesNotContainKey("privileged");
        assertThat(map(statefulSet, "spec", "template", "spec")).containsEntry("hostNetwork", true)
            .containsEntry("dnsPolicy", "ClusterFirstWithHostNet").containsKey("affinity");
        assertThat(configMapValue("rdma.yaml", "mooncake.protocol")).isEqualTo("rdma");
    }

    @Test
    void efaAsksForAnAdapterAGpuHugePagesAndIpcLock() {
        Manifests m = Manifests.load(Manifests.PLAIN.resolve("efa.yaml"));
        Map<String, Object> statefulSet = m.get("StatefulSet", APP);
        Map<String, Object> c = container(statefulSet);
        assertThat(map(c, "resources", "limits")).containsKeys("vpc.amazonaws.com/efa", "nvidia.com/gpu",
                "hugepages-2Mi");
        assertThat(map(c, "resources", "requests").get("hugepages-2Mi"))
            .isEqualTo(map(c, "resources", "limits").get("hugepages-2Mi"));
        assertThat(map(c, "securityContext", "capabilities").get("add")).isEqualTo(List.of("IPC_LOCK"));
        assertThat(map(statefulSet, "spec", "template", "spec")).doesNotContainKey("hostNetwork");
        assertThat(configMapValue("efa.yaml", "mooncake.protocol")).isEqualTo("efa");
    }

    @Test
    void etcdOptionRunsEtcdAndPointsTheMetadataServerAtIt() {
        Manifests m = Manifests.load(Manifests.PLAIN.resolve("tcp-etcd.yaml"));
        Map<String, Object> service = m.get("Service", "mooncake-etcd");
        assertThat(list(map(service, "spec"), "ports")).extracting((p) -> p.get("port")).containsExactly(2379);
        assertThat(containerPorts(container(m.get("StatefulSet", "mooncake-etcd")))).containsEntry("client", 2379);
        assertThat(configMapValue("tcp-etcd.yaml", "mooncake.metadata-server")).isEqualTo("etcd://mooncake-etcd:2379");
    }

    /**
     * Starts the sample app with the tcp manifest's ConfigMap (ports set to 0, so parallel builds do
     * not collide, and the loopback address) and reads the sockets this JVM listens on before and
     * after: each new one must be the port of a property the manifest fixes and declares. Then calls
     * the probe and scrape paths.
     */
    @Test
    void appOpensOnlyDeclaredPorts() throws Exception {
        assumeTrue(ListeningPorts.supported(), "needs Linux /proc/net/tcp to list this JVM's listening sockets");
        Map<String, String> properties = new LinkedHashMap<>();
        configMap("tcp.yaml").forEach((k, v) -> properties.put(k, String.valueOf(v)));
        PORT_PROPERTIES.keySet().forEach((p) -> properties.put(p, "0"));
        properties.put("mooncake.local-hostname", "127.0.0.1");
        properties.put("spring.main.banner-mode", "off");
        List<String> args = new ArrayList<>();
        properties.forEach((k, v) -> args.add("--" + k + "=" + v));

        Set<Integer> before = ListeningPorts.ofThisProcess();
        try (ConfigurableApplicationContext app = new SpringApplicationBuilder(SampleApplication.class)
            .run(args.toArray(String[]::new))) {
            Set<Integer> opened = new TreeSet<>(ListeningPorts.ofThisProcess());
            opened.removeAll(before);
            Map<Integer, String> explained = new LinkedHashMap<>();
            PORT_PROPERTIES.forEach((property, port) -> explained.put(port.applyAsInt(app), property));
            assertThat(opened).as("ports the app opened (each must be a fixed, declared port property: %s)", explained)
                .isNotEmpty()
                .allSatisfy((port) -> assertThat(explained).as("port %d opened by the app", port).containsKey(port));
            assertThat(explained.keySet()).as("every port property was opened").allSatisfy((p) -> assertThat(opened)
                .contains(p));

            int http = Integer.parseInt(app.getEnvironment().getProperty("local.server.port"));
            HttpClient client = HttpClient.newHttpClient();
            for (String path : ACTUATOR_PATHS) {
                HttpResponse<String> response = client.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http + path)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(response.statusCode()).as("GET %s", path).isEqualTo(200);
            }
            assertThat(app.getBean(MooncakeEngine.class).config().transferTimeout())
                .as("the ConfigMap's values are bound").hasSeconds(30);
        }
    }

    /** Where a modern kubectl exists, the plain files are exactly what render.sh makes of the overlays. */
    @ParameterizedTest
    @MethodSource("plainFiles")
    void plainFileIsTheRenderedOverlay(String file) throws Exception {
        String kubectl = kubectlWithKustomize();
        boolean required = Boolean.getBoolean("mooncake.test.require-kubectl");
        if (kubectl == null && required) {
            throw new AssertionError("mooncake.test.require-kubectl is set but no kubectl with kustomize v4.2+ is on PATH");
        }
        assumeTrue(kubectl != null, "no kubectl with kustomize v4.2+ on PATH (Debian 12's kubernetes-client is 1.20 "
                + "with kustomize v2.0.3, which cannot render these overlays): plain files not re-rendered");
        String overlay = file.substring(0, file.length() - ".yaml".length());
        Process p = new ProcessBuilder(kubectl, "kustomize", Manifests.K8S.resolve("overlays").resolve(overlay).toString())
            .redirectErrorStream(false).start();
        String rendered = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("kubectl kustomize overlays/%s", overlay).isZero();
        assertThat(Manifests.load(Manifests.PLAIN.resolve(file)).objects)
            .as("plain/%s is stale: run config-examples/k8s/render.sh", file)
            .isEqualTo(Manifests.parse(overlay, rendered).objects);
    }

    private static String kubectlWithKustomize() {
        try {
            Process p = new ProcessBuilder("kubectl", "version", "--client").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                return null;
            }
            Matcher m = Pattern.compile("Kustomize Version: v(\\d+)\\.(\\d+)").matcher(out);
            if (m.find() && (Integer.parseInt(m.group(1)) > 4
                    || (Integer.parseInt(m.group(1)) == 4 && Integer.parseInt(m.group(2)) >= 2))) {
                return "kubectl";
            }
            return null;
        } catch (IOException ex) {
            return null;
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static Map<String, Object> withMemory(Map<String, Object> requests) {
        Map<String, Object> copy = new LinkedHashMap<>(requests);
        copy.remove("cpu");
        return copy;
    }

    private static Map<String, Object> configMap(String file) {
        return map(Manifests.load(Manifests.PLAIN.resolve(file)).get("ConfigMap", APP), "data");
    }

    private static String configMapValue(String file, String key) {
        return String.valueOf(configMap(file).get(key));
    }

    /** The sample's application.yml overlaid with the manifest's ConfigMap, as in the pod. */
    private static Map<String, String> effectiveConfig(String file) throws IOException {
        Map<String, String> config = new LinkedHashMap<>();
        for (var source : new YamlPropertySourceLoader().load("application", new ClassPathResource("application.yml"))) {
            EnumerablePropertySource<?> enumerable = (EnumerablePropertySource<?>) source;
            for (String name : enumerable.getPropertyNames()) {
                config.put(name, String.valueOf(enumerable.getProperty(name)));
            }
        }
        configMap(file).forEach((k, v) -> config.put(k, String.valueOf(v)));
        return config;
    }

    /** Property names in every configuration metadata file on the classpath. */
    private static Set<String> knownProperties() throws IOException {
        JsonMapper json = JsonMapper.builder().build();
        Set<String> names = new HashSet<>();
        for (String resource : List.of("META-INF/spring-configuration-metadata.json",
                "META-INF/additional-spring-configuration-metadata.json")) {
            Enumeration<URL> urls = KubernetesManifestTests.class.getClassLoader().getResources(resource);
            while (urls.hasMoreElements()) {
                try (InputStream in = urls.nextElement().openStream()) {
                    JsonNode root = json.readTree(in);
                    for (JsonNode property : root.path("properties")) {
                        names.add(property.path("name").asString());
                    }
                }
            }
        }
        assertThat(names).as("metadata of mooncake-autoconfigure and mooncake-kubernetes")
            .contains("mooncake.protocol", "mooncake.kubernetes.discovery.service-name");
        return names;
    }

    /** A Kubernetes quantity in bytes: 1344Mi, 1Gi, 512M, 1000. */
    static long quantity(String q) {
        Matcher m = Pattern.compile("(\\d+)(Ki|Mi|Gi|Ti|k|M|G|T)?").matcher(q);
        assertThat(m.matches()).as("quantity '%s'", q).isTrue();
        long n = Long.parseLong(m.group(1));
        String unit = (m.group(2) != null) ? m.group(2) : "";
        return switch (unit) {
            case "Ki" -> n << 10;
            case "Mi" -> n << 20;
            case "Gi" -> n << 30;
            case "Ti" -> n << 40;
            case "k" -> n * 1_000L;
            case "M" -> n * 1_000_000L;
            case "G" -> n * 1_000_000_000L;
            case "T" -> n * 1_000_000_000_000L;
            default -> n;
        };
    }
}
