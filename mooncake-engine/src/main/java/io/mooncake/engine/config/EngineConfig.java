package io.mooncake.engine.config;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.InvalidConfigurationException;
import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.api.Protocol;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Immutable engine configuration: the four arguments of the reference's Python
 * {@code initialize} plus everything else the engine can be tuned with.
 *
 * <p>Build one with {@link #builder()}; {@link Builder#environment(Map)} applies the reference's
 * {@code MC_*} variables (see {@link EnvironmentVariables}). Values are checked by
 * {@link Builder#build()}: a bad value throws a {@link MooncakeException} naming the field, the
 * value and the valid range.
 */
public final class EngineConfig {

    public static final String DEFAULT_LOCAL_HOSTNAME = "localhost";
    public static final String DEFAULT_METADATA_SERVER = "P2PHANDSHAKE";
    public static final int DEFAULT_MIN_RPC_PORT = 15000;
    public static final int DEFAULT_MAX_RPC_PORT = 17000;
    public static final int DEFAULT_HANDSHAKE_PORT = 12001;
    public static final Duration DEFAULT_TRANSFER_TIMEOUT = Duration.ofSeconds(30);
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);
    public static final int DEFAULT_HANDSHAKE_MAX_LENGTH = 1 << 20;
    public static final int DEFAULT_NOTIFY_QUEUE_CAPACITY = 1024;
    public static final long DEFAULT_NOTIFY_QUEUE_MAX_BYTES = 64L << 20;
    public static final int DEFAULT_CONNECTIONS_PER_PEER = 4;
    public static final int DEFAULT_SLICE_SIZE = 512 * 1024;
    public static final int DEFAULT_SOCKET_BUFFER_SIZE = 4 * 1024 * 1024;
    public static final int DEFAULT_TCP_MAX_INBOUND_CONNECTIONS = 4096;
    public static final int DEFAULT_TCP_MAX_INBOUND_CONNECTIONS_PER_ADDRESS = 1024;
    public static final Duration DEFAULT_TCP_IDLE_TIMEOUT = Duration.ofHours(1);
    public static final Duration DEFAULT_TCP_BODY_TIMEOUT = Duration.ofSeconds(30);

    private final String localHostname;
    private final String metadataServer;
    private final List<String> protocols;
    private final List<String> deviceNames;
    private final int handshakePort;
    private final int minRpcPort;
    private final int maxRpcPort;
    private final int tcpDataPort;
    private final String bindAddress;
    private final io.mooncake.engine.security.SharedSecret authSecret;
    private final javax.net.ssl.SSLContext tls;
    private final int ioThreads;
    private final int connectionsPerPeer;
    private final int sliceSize;
    private final int socketBufferSize;
    private final TcpServerLimits tcpServerLimits;
    private final Duration transferTimeout;
    private final Duration connectTimeout;
    private final Duration handshakeTimeout;
    private final int handshakeMaxLength;
    private final int notifyQueueCapacity;
    private final long notifyQueueMaxBytes;
    private final int tcpProtoVersion;
    private final String clusterId;
    private final boolean fallbackToTcp;
    private final boolean forceTcp;
    private final java.util.Set<String> disabledTransports;
    private final boolean forceHca;
    private final boolean forceMnnvl;
    private final boolean intranodeNvlink;
    private final Duration metadataRefreshInterval;
    private final Duration metadataTtl;
    private final String sysfsRoot;
    private final Map<String, String> environment;

    private EngineConfig(Builder b) {
        this.localHostname = b.localHostname;
        this.metadataServer = b.metadataServer;
        this.protocols = List.copyOf(b.protocols);
        this.deviceNames = List.copyOf(b.deviceNames);
        this.handshakePort = b.handshakePort;
        this.minRpcPort = b.minRpcPort;
        this.maxRpcPort = b.maxRpcPort;
        this.tcpDataPort = b.tcpDataPort;
        this.bindAddress = b.bindAddress;
        this.authSecret = b.authSecret;
        this.tls = b.tls;
        this.ioThreads = b.ioThreads;
        this.connectionsPerPeer = b.connectionsPerPeer;
        this.sliceSize = b.sliceSize;
        this.socketBufferSize = b.socketBufferSize;
        this.tcpServerLimits = b.tcpServerLimits;
        this.transferTimeout = b.transferTimeout;
        this.connectTimeout = b.connectTimeout;
        this.handshakeTimeout = b.handshakeTimeout;
        this.handshakeMaxLength = b.handshakeMaxLength;
        this.notifyQueueCapacity = b.notifyQueueCapacity;
        this.notifyQueueMaxBytes = b.notifyQueueMaxBytes;
        this.tcpProtoVersion = b.tcpProtoVersion;
        this.clusterId = b.clusterId;
        this.fallbackToTcp = b.fallbackToTcp;
        this.forceTcp = b.forceTcp;
        this.disabledTransports = java.util.Set.copyOf(b.disabledTransports);
        this.forceHca = b.forceHca;
        this.forceMnnvl = b.forceMnnvl;
        this.intranodeNvlink = b.intranodeNvlink;
        this.metadataRefreshInterval = b.metadataRefreshInterval;
        this.metadataTtl = b.metadataTtl;
        this.sysfsRoot = b.sysfsRoot;
        this.environment = Map.copyOf(b.environment);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this configuration's values. */
    public Builder mutate() {
        return new Builder(this);
    }

    /** Host part of the segment name, possibly with {@code :port} naming the handshake port. */
    public String localHostname() {
        return localHostname;
    }

    /** Metadata connection string: {@code P2PHANDSHAKE}, {@code etcd://...}, {@code http://...}, {@code redis://...}. */
    public String metadataServer() {
        return metadataServer;
    }

    /** Requested protocols, first one primary; normally one, e.g. {@code [rdma, nvmeof]} for two. */
    public List<String> protocols() {
        return protocols;
    }

    /** NIC names to use ({@code device_name} split on {@code ,}); empty means all, or {@code auto-discovery}. */
    public List<String> deviceNames() {
        return deviceNames;
    }

    /** Handshake (RPC) listener port; 0 picks a free port in [{@link #minRpcPort()}, {@link #maxRpcPort()}]. */
    public int handshakePort() {
        return handshakePort;
    }

    public int minRpcPort() {
        return minRpcPort;
    }

    public int maxRpcPort() {
        return maxRpcPort;
    }

    /** tcp data listener port; 0 picks a free port in the RPC range. */
    public int tcpDataPort() {
        return tcpDataPort;
    }

    /**
     * Address the listeners bind to ({@code MC_TCP_BIND_ADDRESS}); {@code 0.0.0.0} or {@code ::} binds
     * every interface (the reference's default); {@code null} binds the advertised address.
     */
    public String bindAddress() {
        return bindAddress;
    }

    /**
     * The secret every handshake and data connection must prove ({@code mooncake.auth.secret},
     * {@code MOONCAKE_AUTH_SECRET}); {@code null}: no authentication, as the reference. Its
     * {@code toString} is redacted.
     */
    public io.mooncake.engine.security.SharedSecret authSecret() {
        return authSecret;
    }

    /**
     * The TLS context of handshake and data connections ({@code mooncake.tls.*}); {@code null}:
     * plain connections, as the reference.
     */
    public javax.net.ssl.SSLContext tls() {
        return tls;
    }

    /** Number of NIO I/O threads shared by all tcp connections. */
    public int ioThreads() {
        return ioThreads;
    }

    /** Persistent data connections opened to each peer; large requests are striped over them. */
    public int connectionsPerPeer() {
        return connectionsPerPeer;
    }

    /** Largest piece a request is cut into before it is spread over a peer's connections. */
    public int sliceSize() {
        return sliceSize;
    }

    /** SO_SNDBUF / SO_RCVBUF asked for on data connections; 0 keeps the kernel default. */
    public int socketBufferSize() {
        return socketBufferSize;
    }

    /** Limits of the tcp data port's inbound connections ({@code mooncake.tcp.*}). */
    public TcpServerLimits tcpServerLimits() {
        return tcpServerLimits;
    }

    /**
     * Deadline of every batch, from submission, plus 1 ns per byte submitted (as the reference's
     * synchronous calls); a request still running then ends TIMEOUT.
     */
    public Duration transferTimeout() {
        return transferTimeout;
    }

    /** Deadline of a connect (handshake or data connection). */
    public Duration connectTimeout() {
        return connectTimeout;
    }

    /** Deadline of one handshake exchange (send request, read reply). */
    public Duration handshakeTimeout() {
        return handshakeTimeout;
    }

    /** Largest handshake frame accepted, in bytes ({@code MC_HANDSHAKE_MAX_LENGTH}). */
    public int handshakeMaxLength() {
        return handshakeMaxLength;
    }

    /**
     * Most notifications held for {@code getNotifies} at a time; a notification beyond it is refused
     * (the sender gets an error) and counted.
     */
    public int notifyQueueCapacity() {
        return notifyQueueCapacity;
    }

    /**
     * Most bytes of notifications held for {@code getNotifies} at a time (2 per character of the
     * sender's name and message, an upper bound of their heap size); beyond it a notification is refused.
     */
    public long notifyQueueMaxBytes() {
        return notifyQueueMaxBytes;
    }

    /** Highest tcp protocol version spoken to peers: 2 (status frames) unless {@code MC_TCP_PROTO=1}. */
    public int tcpProtoVersion() {
        return tcpProtoVersion;
    }

    /** {@code MC_METADATA_CLUSTER_ID}: keys live under {@code mooncake/<id>/}; {@code null} for none. */
    public String clusterId() {
        return clusterId;
    }

    /** Whether an unavailable requested protocol falls back to tcp (with a logged reason) instead of failing. */
    public boolean fallbackToTcp() {
        return fallbackToTcp;
    }

    public boolean forceTcp() {
        return forceTcp;
    }

    /**
     * Transports that must not start even where they could ({@code MC_DISABLE_TRANSPORTS}), such
     * as {@code shm} to measure tcp between two processes of one host.
     */
    public java.util.Set<String> disabledTransports() {
        return disabledTransports;
    }

    public boolean forceHca() {
        return forceHca;
    }

    public boolean forceMnnvl() {
        return forceMnnvl;
    }

    public boolean intranodeNvlink() {
        return intranodeNvlink;
    }

    /** Period of re-reading cached remote descriptors; zero disables ({@code MC_TE_METADATA_REFRESH_INTERVAL_SECONDS}). */
    public Duration metadataRefreshInterval() {
        return metadataRefreshInterval;
    }

    /** Lifetime of published keys on backends that expire them; the engine refreshes well before. */
    public Duration metadataTtl() {
        return metadataTtl;
    }

    /** Root under which probes read sysfs, procfs and /dev ({@code /} on a real host). */
    public String sysfsRoot() {
        return sysfsRoot;
    }

    /** The raw environment the configuration was read from, for transport-specific {@code MC_*} knobs. */
    public Map<String, String> environment() {
        return environment;
    }

    /** The primary protocol. */
    public String protocol() {
        return protocols.get(0);
    }

    @Override
    public String toString() {
        return "EngineConfig{localHostname=" + localHostname + ", metadataServer=" + metadataServer + ", protocols="
                + protocols + ", deviceNames=" + deviceNames + ", handshakePort=" + handshakePort + ", tcpDataPort="
                + tcpDataPort + ", ioThreads=" + ioThreads + ", connectionsPerPeer=" + connectionsPerPeer
                + ", sliceSize=" + sliceSize + ", transferTimeout=" + transferTimeout + ", bindAddress="
                + (bindAddress == null ? "advertised" : bindAddress) + ", auth=" + (authSecret == null ? "off" : "on") + ", tls=" + (tls == null ? "off" : "on")
                + "}";
    }

    /** Mutable builder; {@link #build()} validates. Not thread-safe. */
    public static final class Builder {
        private String localHostname = DEFAULT_LOCAL_HOSTNAME;
        private String metadataServer = DEFAULT_METADATA_SERVER;
        private List<String> protocols = List.of(Protocol.TCP.id());
        private List<String> deviceNames = List.of();
        private int handshakePort;
        private int minRpcPort = DEFAULT_MIN_RPC_PORT;
        private int maxRpcPort = DEFAULT_MAX_RPC_PORT;
        private int tcpDataPort;
        private String bindAddress;
        private io.mooncake.engine.security.SharedSecret authSecret;
        private javax.net.ssl.SSLContext tls;
        private int ioThreads = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
        private int connectionsPerPeer = DEFAULT_CONNECTIONS_PER_PEER;
        private int sliceSize = DEFAULT_SLICE_SIZE;
        private int socketBufferSize = DEFAULT_SOCKET_BUFFER_SIZE;
        private TcpServerLimits tcpServerLimits = TcpServerLimits.DEFAULTS;
        private Duration transferTimeout = DEFAULT_TRANSFER_TIMEOUT;
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private Duration handshakeTimeout = DEFAULT_HANDSHAKE_TIMEOUT;
        private int handshakeMaxLength = DEFAULT_HANDSHAKE_MAX_LENGTH;
        private int notifyQueueCapacity = DEFAULT_NOTIFY_QUEUE_CAPACITY;
        private long notifyQueueMaxBytes = DEFAULT_NOTIFY_QUEUE_MAX_BYTES;
        private int tcpProtoVersion = 2;
        private String clusterId;
        private boolean fallbackToTcp = true;
        private boolean forceTcp;
        private java.util.Set<String> disabledTransports = java.util.Set.of();
        private boolean forceHca;
        private boolean forceMnnvl;
        private boolean intranodeNvlink;
        private Duration metadataRefreshInterval = Duration.ZERO;
        private Duration metadataTtl = Duration.ofSeconds(10);
        private String sysfsRoot = "/";
        private Map<String, String> environment = Map.of();

        private Builder() {
        }

        private Builder(EngineConfig c) {
            localHostname = c.localHostname;
            metadataServer = c.metadataServer;
            protocols = c.protocols;
            deviceNames = c.deviceNames;
            handshakePort = c.handshakePort;
            minRpcPort = c.minRpcPort;
            maxRpcPort = c.maxRpcPort;
            tcpDataPort = c.tcpDataPort;
            bindAddress = c.bindAddress;
            authSecret = c.authSecret;
            tls = c.tls;
            ioThreads = c.ioThreads;
            connectionsPerPeer = c.connectionsPerPeer;
            sliceSize = c.sliceSize;
            socketBufferSize = c.socketBufferSize;
            tcpServerLimits = c.tcpServerLimits;
            transferTimeout = c.transferTimeout;
            connectTimeout = c.connectTimeout;
            handshakeTimeout = c.handshakeTimeout;
            handshakeMaxLength = c.handshakeMaxLength;
            notifyQueueCapacity = c.notifyQueueCapacity;
            notifyQueueMaxBytes = c.notifyQueueMaxBytes;
            tcpProtoVersion = c.tcpProtoVersion;
            clusterId = c.clusterId;
            fallbackToTcp = c.fallbackToTcp;
            forceTcp = c.forceTcp;
            disabledTransports = c.disabledTransports;
            forceHca = c.forceHca;
            forceMnnvl = c.forceMnnvl;
            intranodeNvlink = c.intranodeNvlink;
            metadataRefreshInterval = c.metadataRefreshInterval;
            metadataTtl = c.metadataTtl;
            sysfsRoot = c.sysfsRoot;
            environment = c.environment;
        }

        public Builder localHostname(String v) {
            localHostname = v;
            return this;
        }

        public Builder metadataServer(String v) {
            metadataServer = v;
            return this;
        }

        /** One protocol string, or several separated by {@code ,} (e.g. {@code rdma,nvmeof}). */
        public Builder protocol(String v) {
            if (v == null || v.isBlank()) {
                throw new MooncakeException(ErrorCode.INVALID_ARGUMENT,
                        "protocol is empty; valid protocols are: " + Protocol.validNames());
            }
            List<String> list = new ArrayList<>();
            for (String p : v.split(",")) {
                String id = Protocol.checkName(p);
                if (!list.contains(id)) {
                    list.add(id);
                }
            }
            protocols = list;
            return this;
        }

        /** {@code device_name}: a NIC, a comma-separated list, {@code auto-discovery}, or blank for all. */
        public Builder deviceName(String v) {
            deviceNames = v == null || v.isBlank() ? List.of()
                    : Arrays.stream(v.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
            return this;
        }

        public Builder handshakePort(int v) {
            handshakePort = v;
            return this;
        }

        public Builder rpcPortRange(int min, int max) {
            minRpcPort = min;
            maxRpcPort = max;
            return this;
        }

        public Builder tcpDataPort(int v) {
            tcpDataPort = v;
            return this;
        }

        /**
         * The shared secret peers must prove; {@code null} or blank turns authentication off.
         *
         * @throws MooncakeException when it is shorter than 16 bytes
         */
        public Builder authSecret(String v) {
            authSecret = v == null || v.isBlank() ? null
                    : io.mooncake.engine.security.SharedSecret.of(v, "mooncake.auth.secret (MOONCAKE_AUTH_SECRET)");
            return this;
        }

        /**
         * TLS for handshake and data connections from this key material (loaded now: a bad file or
         * password fails here, naming the property); {@code null} turns TLS off.
         */
        public Builder tls(io.mooncake.engine.security.TlsOptions v) {
            tls = v == null ? null : v.createContext();
            return this;
        }

        /** TLS for handshake and data connections with this context; {@code null} turns TLS off. */
        public Builder tls(javax.net.ssl.SSLContext v) {
            tls = v;
            return this;
        }

        /** The shared secret peers must prove; {@code null} turns authentication off. */
        public Builder authSecret(io.mooncake.engine.security.SharedSecret v) {
            authSecret = v;
            return this;
        }

        public Builder bindAddress(String v) {
            bindAddress = v == null || v.isBlank() ? null : v.trim();
            return this;
        }

        public Builder ioThreads(int v) {
            ioThreads = v;
            return this;
        }

        public Builder connectionsPerPeer(int v) {
            connectionsPerPeer = v;
            return this;
        }

        public Builder sliceSize(int v) {
            sliceSize = v;
            return this;
        }

        public Builder socketBufferSize(int v) {
            socketBufferSize = v;
            return this;
        }

        /** Limits of the tcp data port's inbound connections; see {@link TcpServerLimits}. */
        public Builder tcpServerLimits(TcpServerLimits v) {
            tcpServerLimits = v;
            return this;
        }

        public Builder transferTimeout(Duration v) {
            transferTimeout = v;
            return this;
        }

        public Builder connectTimeout(Duration v) {
            connectTimeout = v;
            return this;
        }

        public Builder handshakeTimeout(Duration v) {
            handshakeTimeout = v;
            return this;
        }

        public Builder handshakeMaxLength(int v) {
            handshakeMaxLength = v;
            return this;
        }

        /** Most notifications held for {@code getNotifies}; see {@link EngineConfig#notifyQueueCapacity()}. */
        public Builder notifyQueueCapacity(int v) {
            notifyQueueCapacity = v;
            return this;
        }

        /** Most bytes of notifications held; see {@link EngineConfig#notifyQueueMaxBytes()}. */
        public Builder notifyQueueMaxBytes(long v) {
            notifyQueueMaxBytes = v;
            return this;
        }

        public Builder tcpProtoVersion(int v) {
            tcpProtoVersion = v;
            return this;
        }

        public Builder clusterId(String v) {
            clusterId = v == null || v.isBlank() ? null : v.trim();
            return this;
        }

        public Builder fallbackToTcp(boolean v) {
            fallbackToTcp = v;
            return this;
        }

        /** Transports not to start, comma separated (e.g. {@code shm}); blank for none. */
        public Builder disabledTransports(String v) {
            java.util.Set<String> set = new java.util.TreeSet<>();
            if (v != null) {
                for (String p : v.split(",")) {
                    if (!p.isBlank()) {
                        set.add(Protocol.checkName(p));
                    }
                }
            }
            disabledTransports = set;
            return this;
        }

        public Builder forceTcp(boolean v) {
            forceTcp = v;
            return this;
        }

        public Builder forceHca(boolean v) {
            forceHca = v;
            return this;
        }

        public Builder forceMnnvl(boolean v) {
            forceMnnvl = v;
            return this;
        }

        public Builder intranodeNvlink(boolean v) {
            intranodeNvlink = v;
            return this;
        }

        public Builder metadataRefreshInterval(Duration v) {
            metadataRefreshInterval = v;
            return this;
        }

        public Builder metadataTtl(Duration v) {
            metadataTtl = v;
            return this;
        }

        public Builder sysfsRoot(String v) {
            sysfsRoot = v;
            return this;
        }

        /**
         * Applies the reference's {@code MC_*} variables found in {@code env} (usually
         * {@code System.getenv()}) over the values set so far, and keeps {@code env} for
         * transport-specific knobs.
         */
        public Builder environment(Map<String, String> env) {
            environment = Map.copyOf(env);
            EnvironmentVariables.apply(env, this);
            return this;
        }

        /** Validates and builds. */
        public EngineConfig build() {
            require(localHostname != null && !localHostname.isBlank(), "localHostname", localHostname,
                    "a host name or IP address, optionally with :port");
            require(metadataServer != null && !metadataServer.isBlank(), "metadataServer", metadataServer,
                    "P2PHANDSHAKE, etcd://host:port, http://host:port/metadata or redis://host:port");
            checkPort("handshakePort", handshakePort);
            checkPort("tcpDataPort", tcpDataPort);
            require(minRpcPort >= 1024 && maxRpcPort <= 65535 && minRpcPort <= maxRpcPort, "rpcPortRange",
                    minRpcPort + "-" + maxRpcPort, "1024 <= min <= max <= 65535");
            require(ioThreads >= 1 && ioThreads <= 256, "ioThreads", ioThreads, "1..256");
            require(connectionsPerPeer >= 1 && connectionsPerPeer <= 64, "connectionsPerPeer", connectionsPerPeer,
                    "1..64");
            require(sliceSize >= 4096 && sliceSize <= (64 << 20), "sliceSize", sliceSize, "4 KiB..64 MiB");
            require(socketBufferSize >= 0, "socketBufferSize", socketBufferSize, "0 (kernel default) or more");
            Objects.requireNonNull(tcpServerLimits, "tcpServerLimits");
            require(tcpServerLimits.maxConnections() >= 1, "tcp.maxInboundConnections",
                    tcpServerLimits.maxConnections(), "1 or more");
            require(tcpServerLimits.maxConnectionsPerAddress() >= 1, "tcp.maxInboundConnectionsPerAddress",
                    tcpServerLimits.maxConnectionsPerAddress(), "1 or more");
            require(tcpServerLimits.idleTimeout() != null && !tcpServerLimits.idleTimeout().isNegative(),
                    "tcp.idleTimeout", tcpServerLimits.idleTimeout(), "zero (never) or a positive duration");
            requirePositive("tcp.bodyTimeout", tcpServerLimits.bodyTimeout());
            requirePositive("transferTimeout", transferTimeout);
            requirePositive("connectTimeout", connectTimeout);
            requirePositive("handshakeTimeout", handshakeTimeout);
            require(handshakeMaxLength >= 1 && handshakeMaxLength <= (128 << 20), "handshakeMaxLength",
                    handshakeMaxLength, "1 byte..128 MiB");
            require(notifyQueueCapacity >= 1, "notifyQueueCapacity", notifyQueueCapacity, "1 or more");
            require(notifyQueueMaxBytes >= 1024, "notifyQueueMaxBytes", notifyQueueMaxBytes, "1 KiB or more");
            require(tcpProtoVersion == 1 || tcpProtoVersion == 2, "tcpProtoVersion", tcpProtoVersion, "1 or 2");
            Objects.requireNonNull(metadataRefreshInterval, "metadataRefreshInterval");
            require(!metadataRefreshInterval.isNegative(), "metadataRefreshInterval", metadataRefreshInterval,
                    "zero (off) or a positive duration");
            requirePositive("metadataTtl", metadataTtl);
            require(sysfsRoot != null && !sysfsRoot.isBlank(), "sysfsRoot", sysfsRoot, "a directory, / on a real host");
            return new EngineConfig(this);
        }

        private static void checkPort(String field, int port) {
            require(port >= 0 && port <= 65535, field, port, "0 (pick a free one) or 1..65535");
        }

        private static void requirePositive(String field, Duration d) {
            require(d != null && !d.isNegative() && !d.isZero(), field, d, "a positive duration");
        }

        private static void require(boolean ok, String field, Object value, String valid) {
            if (!ok) {
                throw new InvalidConfigurationException(field, value, valid);
            }
        }
    }
}
