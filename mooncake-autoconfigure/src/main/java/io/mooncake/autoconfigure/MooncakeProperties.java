package io.mooncake.autoconfigure;

import io.mooncake.engine.config.EngineConfig;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * Configuration properties of the Mooncake Transfer Engine, bound to {@code mooncake.*}.
 *
 * <p>The {@code MOONCAKE_*} and {@code MC_*} environment variables and the Mooncake JSON file
 * become these properties too (see {@link MooncakeEnvironmentPostProcessor}); docs/configuration.md
 * has the precedence order. Sizes accept Spring's forms ({@code 512MB}) and the reference's
 * ({@code 3g}, {@code 1.5GB}).
 */
@ConfigurationProperties("mooncake")
public class MooncakeProperties {

    /**
     * Location of a Mooncake JSON configuration file (keys local_hostname, metadata_server, protocol,
     * device_name, master_server_address, global_segment_size, local_buffer_size). Its values have the
     * lowest precedence. The MOONCAKE_CONFIG_PATH environment variable sets it too.
     */
    private String configPath;

    /**
     * Whether the MOONCAKE_* and MC_* environment variables of the reference engine are mapped onto
     * mooncake.* properties.
     */
    private boolean mapEnvironmentVariables = true;

    /**
     * Host name or IP address peers reach this node at, optionally with ":port" naming the handshake
     * port. Also the host part of this node's segment name.
     */
    private String localHostname = EngineConfig.DEFAULT_LOCAL_HOSTNAME;

    /**
     * Metadata service: P2PHANDSHAKE (no server, peers exchange descriptors directly),
     * etcd://host:port, http://host:port/metadata, redis://host:port, or a bare host:port (etcd).
     */
    private String metadataServer = EngineConfig.DEFAULT_METADATA_SERVER;

    /**
     * Transport protocol: tcp, rdma, efa, nvmeof, nvlink, nvlink_intra, hip, barex, cxl or ascend.
     * Several may be combined with ",", the first being primary (e.g. "rdma,nvmeof").
     */
    private String protocol = "tcp";

    /**
     * Devices to use: a NIC name such as mlx5_0, a comma-separated list, "auto-discovery", or empty
     * for all. Not used by tcp.
     */
    private String deviceName = "";

    /**
     * Mooncake Store master address (host:port). Validated and exposed as a MooncakeMasterServer bean
     * for Store clients; this project does not include a Store client.
     */
    private String masterServerAddress;

    /**
     * Size of the remote-accessible segment allocated and registered at startup and published to
     * peers (e.g. 3GB). None is allocated when unset.
     */
    @MooncakeDataSize
    private DataSize globalSegmentSize;

    /**
     * Size of the registered local staging pool allocated at startup (e.g. 1GB). None is allocated
     * when unset.
     */
    @MooncakeDataSize
    private DataSize localBufferSize;

    /**
     * Location name under which the segment and the staging pool are registered (cpu:N, or * for
     * any).
     */
    private String bufferLocation = "cpu:0";

    /**
     * Handshake (RPC) listener port. 0 picks a free port in the RPC port range.
     */
    private int handshakePort;

    /**
     * TCP data listener port. 0 picks a free port in the RPC port range.
     */
    private int tcpDataPort;

    /**
     * Range random listener ports are picked from.
     */
    private final RpcPortRange rpcPortRange = new RpcPortRange();

    /**
     * The CXL device of protocol cxl (override MC_CXL_DEV_PATH and MC_CXL_DEV_SIZE).
     */
    private final Cxl cxl = new Cxl();

    /**
     * Limits of the tcp data port's inbound connections (mooncake.tcp.*).
     */
    private final Tcp tcp = new Tcp();

    /**
     * Address the handshake and data listeners bind to. Binds the advertised address when unset;
     * 0.0.0.0 binds every interface, as the reference does.
     */
    private String bindAddress;

    /**
     * Peer authentication.
     */
    private final Auth auth = new Auth();

    /**
     * TLS on handshake and tcp data connections.
     */
    private final Tls tls = new Tls();

    /**
     * Number of I/O threads shared by all tcp connections. Defaults to the number of processors,
     * at most 4.
     */
    private Integer ioThreads;

    /**
     * Persistent data connections opened to each peer; large requests are striped over them.
     */
    private int connectionsPerPeer = EngineConfig.DEFAULT_CONNECTIONS_PER_PEER;

    /**
     * Largest piece a request is cut into before it is spread over a peer's connections.
     */
    @MooncakeDataSize
    private DataSize sliceSize = DataSize.ofBytes(EngineConfig.DEFAULT_SLICE_SIZE);

    /**
     * Socket send and receive buffer size asked for on data connections. 0 keeps the kernel
     * default.
     */
    @MooncakeDataSize
    private DataSize socketBufferSize = DataSize.ofBytes(EngineConfig.DEFAULT_SOCKET_BUFFER_SIZE);

    /**
     * Deadline of every batch of transfer requests, from submission, plus 1 ns per byte submitted. A
     * request still running then ends with TIMEOUT.
     */
    private Duration transferTimeout = EngineConfig.DEFAULT_TRANSFER_TIMEOUT;

    /**
     * Deadline of a connect to a peer (handshake or data connection).
     */
    private Duration connectTimeout = EngineConfig.DEFAULT_CONNECT_TIMEOUT;

    /**
     * Deadline of one handshake exchange with a peer.
     */
    private Duration handshakeTimeout = EngineConfig.DEFAULT_HANDSHAKE_TIMEOUT;

    /**
     * Largest handshake message accepted.
     */
    @MooncakeDataSize
    private DataSize handshakeMaxLength = DataSize.ofBytes(EngineConfig.DEFAULT_HANDSHAKE_MAX_LENGTH);

    /**
     * Most notifications from peers held until the application drains them; beyond it a
     * notification is refused (the sender gets an error) and counted.
     */
    private int notifyQueueCapacity = EngineConfig.DEFAULT_NOTIFY_QUEUE_CAPACITY;

    /**
     * Most bytes of notifications from peers held until the application drains them (2 per
     * character); beyond it a notification is refused and counted.
     */
    @MooncakeDataSize
    private DataSize notifyQueueMaxBytes = DataSize.ofBytes(EngineConfig.DEFAULT_NOTIFY_QUEUE_MAX_BYTES);

    /**
     * Highest tcp protocol version spoken to peers: 2, or 1 for peers that do not send status
     * frames.
     */
    private int tcpProtoVersion = 2;

    /**
     * Cluster id: metadata keys live under mooncake/&lt;id&gt;/, so several clusters can share one
     * metadata server.
     */
    private String clusterId;

    /**
     * Whether a requested protocol that cannot run on this host falls back to tcp (with a logged
     * reason) instead of failing startup.
     */
    private boolean fallbackToTcp = true;

    /**
     * Whether tcp is used even where RDMA devices exist.
     */
    private boolean forceTcp;

    /**
     * Whether RDMA is used even where another transport would be picked.
     */
    private boolean forceHca;

    /**
     * Whether Multi-Node NVLink is used instead of RDMA where both exist.
     */
    private boolean forceMnnvl;

    /**
     * Whether NVLink is used between GPUs inside one node.
     */
    private boolean intranodeNvlink;

    /**
     * Period of re-reading cached peer descriptors. 0 disables it.
     */
    private Duration metadataRefreshInterval = Duration.ZERO;

    /**
     * Lifetime of published metadata keys on backends that expire them; the engine refreshes them
     * well before.
     */
    private Duration metadataTtl = Duration.ofSeconds(10);

    public String getConfigPath() {
        return this.configPath;
    }

    public void setConfigPath(String configPath) {
        this.configPath = configPath;
    }

    public boolean isMapEnvironmentVariables() {
        return this.mapEnvironmentVariables;
    }

    public void setMapEnvironmentVariables(boolean mapEnvironmentVariables) {
        this.mapEnvironmentVariables = mapEnvironmentVariables;
    }

    public String getLocalHostname() {
        return this.localHostname;
    }

    public void setLocalHostname(String localHostname) {
        this.localHostname = localHostname;
    }

    public String getMetadataServer() {
        return this.metadataServer;
    }

    public void setMetadataServer(String metadataServer) {
        this.metadataServer = metadataServer;
    }

    public String getProtocol() {
        return this.protocol;
    }

    public void setProtocol(String protocol) {
        this.protocol = protocol;
    }

    public String getDeviceName() {
        return this.deviceName;
    }

    public void setDeviceName(String deviceName) {
        this.deviceName = deviceName;
    }

    public String getMasterServerAddress() {
        return this.masterServerAddress;
    }

    public void setMasterServerAddress(String masterServerAddress) {
        this.masterServerAddress = masterServerAddress;
    }

    public DataSize getGlobalSegmentSize() {
        return this.globalSegmentSize;
    }

    public void setGlobalSegmentSize(DataSize globalSegmentSize) {
        this.globalSegmentSize = globalSegmentSize;
    }

    public DataSize getLocalBufferSize() {
        return this.localBufferSize;
    }

    public void setLocalBufferSize(DataSize localBufferSize) {
        this.localBufferSize = localBufferSize;
    }

    public String getBufferLocation() {
        return this.bufferLocation;
    }

    public void setBufferLocation(String bufferLocation) {
        this.bufferLocation = bufferLocation;
    }

    public int getHandshakePort() {
        return this.handshakePort;
    }

    public void setHandshakePort(int handshakePort) {
        this.handshakePort = handshakePort;
    }

    public int getTcpDataPort() {
        return this.tcpDataPort;
    }

    public void setTcpDataPort(int tcpDataPort) {
        this.tcpDataPort = tcpDataPort;
    }

    public Tcp getTcp() {
        return this.tcp;
    }

    public Cxl getCxl() {
        return this.cxl;
    }

    public Auth getAuth() {
        return this.auth;
    }

    public Tls getTls() {
        return this.tls;
    }

    public RpcPortRange getRpcPortRange() {
        return this.rpcPortRange;
    }

    public String getBindAddress() {
        return this.bindAddress;
    }

    public void setBindAddress(String bindAddress) {
        this.bindAddress = bindAddress;
    }

    public Integer getIoThreads() {
        return this.ioThreads;
    }

    public void setIoThreads(Integer ioThreads) {
        this.ioThreads = ioThreads;
    }

    public int getConnectionsPerPeer() {
        return this.connectionsPerPeer;
    }

    public void setConnectionsPerPeer(int connectionsPerPeer) {
        this.connectionsPerPeer = connectionsPerPeer;
    }

    public DataSize getSliceSize() {
        return this.sliceSize;
    }

    public void setSliceSize(DataSize sliceSize) {
        this.sliceSize = sliceSize;
    }

    public DataSize getSocketBufferSize() {
        return this.socketBufferSize;
    }

    public void setSocketBufferSize(DataSize socketBufferSize) {
        this.socketBufferSize = socketBufferSize;
    }

    public Duration getTransferTimeout() {
        return this.transferTimeout;
    }

    public void setTransferTimeout(Duration transferTimeout) {
        this.transferTimeout = transferTimeout;
    }

    public Duration getConnectTimeout() {
        return this.connectTimeout;
    }

    public void setConnectTimeout(Duration connectTimeout) {
        this.connectTimeout = connectTimeout;
    }

    public Duration getHandshakeTimeout() {
        return this.handshakeTimeout;
    }

    public void setHandshakeTimeout(Duration handshakeTimeout) {
        this.handshakeTimeout = handshakeTimeout;
    }

    public DataSize getHandshakeMaxLength() {
        return this.handshakeMaxLength;
    }

    public void setHandshakeMaxLength(DataSize handshakeMaxLength) {
        this.handshakeMaxLength = handshakeMaxLength;
    }

    public int getNotifyQueueCapacity() {
        return this.notifyQueueCapacity;
    }

    public void setNotifyQueueCapacity(int notifyQueueCapacity) {
        this.notifyQueueCapacity = notifyQueueCapacity;
    }

    public DataSize getNotifyQueueMaxBytes() {
        return this.notifyQueueMaxBytes;
    }

    public void setNotifyQueueMaxBytes(DataSize notifyQueueMaxBytes) {
        this.notifyQueueMaxBytes = notifyQueueMaxBytes;
    }

    public int getTcpProtoVersion() {
        return this.tcpProtoVersion;
    }

    public void setTcpProtoVersion(int tcpProtoVersion) {
        this.tcpProtoVersion = tcpProtoVersion;
    }

    public String getClusterId() {
        return this.clusterId;
    }

    public void setClusterId(String clusterId) {
        this.clusterId = clusterId;
    }

    public boolean isFallbackToTcp() {
        return this.fallbackToTcp;
    }

    public void setFallbackToTcp(boolean fallbackToTcp) {
        this.fallbackToTcp = fallbackToTcp;
    }

    public boolean isForceTcp() {
        return this.forceTcp;
    }

    public void setForceTcp(boolean forceTcp) {
        this.forceTcp = forceTcp;
    }

    public boolean isForceHca() {
        return this.forceHca;
    }

    public void setForceHca(boolean forceHca) {
        this.forceHca = forceHca;
    }

    public boolean isForceMnnvl() {
        return this.forceMnnvl;
    }

    public void setForceMnnvl(boolean forceMnnvl) {
        this.forceMnnvl = forceMnnvl;
    }

    public boolean isIntranodeNvlink() {
        return this.intranodeNvlink;
    }

    public void setIntranodeNvlink(boolean intranodeNvlink) {
        this.intranodeNvlink = intranodeNvlink;
    }

    public Duration getMetadataRefreshInterval() {
        return this.metadataRefreshInterval;
    }

    public void setMetadataRefreshInterval(Duration metadataRefreshInterval) {
        this.metadataRefreshInterval = metadataRefreshInterval;
    }

    public Duration getMetadataTtl() {
        return this.metadataTtl;
    }

    public void setMetadataTtl(Duration metadataTtl) {
        this.metadataTtl = metadataTtl;
    }

    /** Range random listener ports are picked from. */
    public static class Auth {

        /**
         * Shared secret every handshake and tcp data connection must prove (HMAC-SHA256
         * challenge-response) before it is served; at least 16 bytes, the same on every node.
         * Authentication is off when unset (reference-compatible). Best set from a Kubernetes Secret
         * through MOONCAKE_AUTH_SECRET.
         */
        private String secret;

        public String getSecret() {
            return this.secret;
        }

        public void setSecret(String secret) {
            this.secret = secret;
        }

        @Override
        public String toString() {
            return "Auth[secret=" + ((this.secret == null || this.secret.isBlank()) ? "unset" : "******") + "]";
        }

    }

    public static class Tls {

        /**
         * Whether handshake and tcp data connections run TLS 1.3, every node presenting a certificate
         * its peers trust (mutual TLS). Every node of the cluster must agree.
         */
        private boolean enabled;

        /**
         * Name of a Spring Boot SSL bundle (spring.ssl.bundle.*) with this node's key and the trusted
         * certificates. Wins over the key store and PEM properties below.
         */
        private String bundle;

        /**
         * PKCS12 (or .jks) file with this node's private key and certificate chain.
         */
        private String keyStore;

        /**
         * Password of the key store.
         */
        private String keyStorePassword;

        /**
         * PKCS12 (or .jks) file of trusted certificates. The key store's own certificates are trusted
         * when unset.
         */
        private String trustStore;

        /**
         * Password of the trust store.
         */
        private String trustStorePassword;

        /**
         * PEM file with this node's certificate chain (instead of a key store).
         */
        private String certificate;

        /**
         * PEM file with this node's unencrypted PKCS#8 private key.
         */
        private String privateKey;

        /**
         * PEM file of the CA certificates that signed the peers' certificates.
         */
        private String trustCertificates;

        public boolean isEnabled() {
            return this.enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public String getBundle() {
            return this.bundle;
        }

        public void setBundle(String bundle) {
            this.bundle = bundle;
        }

        public String getKeyStore() {
            return this.keyStore;
        }

        public void setKeyStore(String keyStore) {
            this.keyStore = keyStore;
        }

        public String getKeyStorePassword() {
            return this.keyStorePassword;
        }

        public void setKeyStorePassword(String keyStorePassword) {
            this.keyStorePassword = keyStorePassword;
        }

        public String getTrustStore() {
            return this.trustStore;
        }

        public void setTrustStore(String trustStore) {
            this.trustStore = trustStore;
        }

        public String getTrustStorePassword() {
            return this.trustStorePassword;
        }

        public void setTrustStorePassword(String trustStorePassword) {
            this.trustStorePassword = trustStorePassword;
        }

        public String getCertificate() {
            return this.certificate;
        }

        public void setCertificate(String certificate) {
            this.certificate = certificate;
        }

        public String getPrivateKey() {
            return this.privateKey;
        }

        public void setPrivateKey(String privateKey) {
            this.privateKey = privateKey;
        }

        public String getTrustCertificates() {
            return this.trustCertificates;
        }

        public void setTrustCertificates(String trustCertificates) {
            this.trustCertificates = trustCertificates;
        }

        @Override
        public String toString() {
            return "Tls[enabled=" + this.enabled + ", bundle=" + this.bundle + ", keyStore=" + this.keyStore
                    + ", trustStore=" + this.trustStore + ", certificate=" + this.certificate + ", passwords redacted]";
        }

    }

    public static class RpcPortRange {

        /**
         * Lowest port of the range.
         */
        private int min = EngineConfig.DEFAULT_MIN_RPC_PORT;

        /**
         * Highest port of the range.
         */
        private int max = EngineConfig.DEFAULT_MAX_RPC_PORT;

        public int getMin() {
            return this.min;
        }

        public void setMin(int min) {
            this.min = min;
        }

        public int getMax() {
            return this.max;
        }

        public void setMax(int max) {
            this.max = max;
        }
    }

    /** The CXL device every engine of the host maps (protocol cxl). */
    public static class Cxl {

        /**
         * Device-DAX device (/dev/daxX.Y) or file every engine of the host maps; overrides
         * MC_CXL_DEV_PATH.
         */
        private String devicePath;

        /**
         * Bytes of the device to map; overrides MC_CXL_DEV_SIZE. Default: the size in sysfs, or a
         * file's length.
         */
        private DataSize deviceSize;

        public String getDevicePath() {
            return this.devicePath;
        }

        public void setDevicePath(String devicePath) {
            this.devicePath = devicePath;
        }

        public DataSize getDeviceSize() {
            return this.deviceSize;
        }

        public void setDeviceSize(DataSize deviceSize) {
            this.deviceSize = deviceSize;
        }
    }

    /** Limits of the tcp data port's inbound connections: what peers, hostile ones included, can hold. */
    public static class Tcp {

        /**
         * Inbound data connections this node keeps open at most; more are accepted and closed at
         * once (counted as refusedConnections).
         */
        private int maxInboundConnections = io.mooncake.engine.config.EngineConfig.DEFAULT_TCP_MAX_INBOUND_CONNECTIONS;

        /**
         * Inbound data connections one remote IP address keeps open at most.
         */
        private int maxInboundConnectionsPerAddress =
                io.mooncake.engine.config.EngineConfig.DEFAULT_TCP_MAX_INBOUND_CONNECTIONS_PER_ADDRESS;

        /**
         * An inbound data connection waiting longer than this for its next request is closed. 0
         * never closes idle connections.
         */
        private Duration idleTimeout = io.mooncake.engine.config.EngineConfig.DEFAULT_TCP_IDLE_TIMEOUT;

        /**
         * An inbound request whose body (WRITE) or reply (READ) makes no progress for this long is
         * abandoned: the connection closes and the memory it used is released.
         */
        private Duration bodyTimeout = io.mooncake.engine.config.EngineConfig.DEFAULT_TCP_BODY_TIMEOUT;

        /**
         * Whether a data connection the peer closed first, after its last request was answered, ends
         * with a reset instead of a FIN, so that the peer's socket does not wait a minute in
         * TIME_WAIT (a reference initiator opens one connection per request). Off only for a client
         * that shuts down its output and reads its answers afterwards over a lossy network.
         */
        private boolean resetOnPeerClose = true;

        public int getMaxInboundConnections() {
            return this.maxInboundConnections;
        }

        public void setMaxInboundConnections(int maxInboundConnections) {
            this.maxInboundConnections = maxInboundConnections;
        }

        public int getMaxInboundConnectionsPerAddress() {
            return this.maxInboundConnectionsPerAddress;
        }

        public void setMaxInboundConnectionsPerAddress(int maxInboundConnectionsPerAddress) {
            this.maxInboundConnectionsPerAddress = maxInboundConnectionsPerAddress;
        }

        public Duration getIdleTimeout() {
            return this.idleTimeout;
        }

        public void setIdleTimeout(Duration idleTimeout) {
            this.idleTimeout = idleTimeout;
        }

        public Duration getBodyTimeout() {
            return this.bodyTimeout;
        }

        public void setBodyTimeout(Duration bodyTimeout) {
            this.bodyTimeout = bodyTimeout;
        }

        public boolean isResetOnPeerClose() {
            return this.resetOnPeerClose;
        }

        public void setResetOnPeerClose(boolean resetOnPeerClose) {
            this.resetOnPeerClose = resetOnPeerClose;
        }
    }
}
