package io.mooncake.engine.config;

import io.mooncake.engine.api.ErrorCode;
import io.mooncake.engine.api.MooncakeException;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reference engine's {@code MC_*} environment variables that this engine honours, applied to an
 * {@link EngineConfig.Builder}. Names and ranges follow the reference (§8 of its notes); a value
 * that cannot be parsed fails with the variable's name, its value and the expected form.
 */
public final class EnvironmentVariables {

    private static final Logger log = LoggerFactory.getLogger(EnvironmentVariables.class);

    public static final String MC_MIN_RPC_PORT = "MC_MIN_RPC_PORT";
    public static final String MC_MAX_RPC_PORT = "MC_MAX_RPC_PORT";
    public static final String MC_HANDSHAKE_PORT = "MC_HANDSHAKE_PORT";
    public static final String MC_TCP_BIND_ADDRESS = "MC_TCP_BIND_ADDRESS";
    /** The shared secret peers must prove (this project's; {@code mooncake.auth.secret}). */
    public static final String MOONCAKE_AUTH_SECRET = "MOONCAKE_AUTH_SECRET";
    /** Whether handshake and data connections run TLS (this project's; {@code mooncake.tls.enabled}). */
    public static final String MOONCAKE_TLS_ENABLED = "MOONCAKE_TLS_ENABLED";
    public static final String MC_HANDSHAKE_CONNECT_TIMEOUT = "MC_HANDSHAKE_CONNECT_TIMEOUT";
    public static final String MC_HANDSHAKE_MAX_LENGTH = "MC_HANDSHAKE_MAX_LENGTH";
    public static final String MC_TCP_PROTO = "MC_TCP_PROTO";
    public static final String MC_METADATA_CLUSTER_ID = "MC_METADATA_CLUSTER_ID";
    public static final String MC_FORCE_TCP = "MC_FORCE_TCP";
    public static final String MC_FORCE_HCA = "MC_FORCE_HCA";
    public static final String MC_FORCE_MNNVL = "MC_FORCE_MNNVL";
    public static final String MC_INTRANODE_NVLINK = "MC_INTRANODE_NVLINK";
    public static final String MC_TE_METADATA_REFRESH_INTERVAL_SECONDS = "MC_TE_METADATA_REFRESH_INTERVAL_SECONDS";
    public static final String MC_TRANSFER_TIMEOUT = "MC_TRANSFER_TIMEOUT";
    public static final String MC_TCP_LANES_PER_PEER = "MC_TCP_LANES_PER_PEER";
    public static final String MC_TCP_SLICE_SIZE = "MC_TCP_SLICE_SIZE";
    /** Transports not to start, comma separated (this project's; e.g. {@code shm} to measure tcp on one host). */
    public static final String MC_DISABLE_TRANSPORTS = "MC_DISABLE_TRANSPORTS";

    private EnvironmentVariables() {
    }

    static void apply(Map<String, String> env, EngineConfig.Builder b) {
        Integer min = intVar(env, MC_MIN_RPC_PORT, "MC_MIN_PRC_PORT");
        Integer max = intVar(env, MC_MAX_RPC_PORT, "MC_MAX_PRC_PORT");
        if (min != null || max != null) {
            int lo = min == null ? EngineConfig.DEFAULT_MIN_RPC_PORT : min;
            int hi = max == null ? EngineConfig.DEFAULT_MAX_RPC_PORT : max;
            if (validRange(lo, hi)) {
                b.rpcPortRange(lo, hi);
            } else {
                log.warn("Ignoring RPC port range {}-{} from {}/{}: ports must be 1024-65535, outside the kernel's "
                        + "ephemeral range 32768-60999, min <= max; using {}-{}", lo, hi, MC_MIN_RPC_PORT,
                        MC_MAX_RPC_PORT, EngineConfig.DEFAULT_MIN_RPC_PORT, EngineConfig.DEFAULT_MAX_RPC_PORT);
            }
        }
        String bind = env.get(MC_TCP_BIND_ADDRESS);
        if (bind != null && !bind.isBlank()) {
            b.bindAddress(bind);
        }
        String secret = env.get(MOONCAKE_AUTH_SECRET);
        if (secret != null && !secret.isBlank()) {
            b.authSecret(secret);
        }
        if (flag(env, MOONCAKE_TLS_ENABLED)) {
            b.tls(new io.mooncake.engine.security.TlsOptions(env.get("MOONCAKE_TLS_KEY_STORE"),
                    env.get("MOONCAKE_TLS_KEY_STORE_PASSWORD"), env.get("MOONCAKE_TLS_TRUST_STORE"),
                    env.get("MOONCAKE_TLS_TRUST_STORE_PASSWORD"), env.get("MOONCAKE_TLS_CERTIFICATE"),
                    env.get("MOONCAKE_TLS_PRIVATE_KEY"), env.get("MOONCAKE_TLS_TRUST_CERTIFICATES")));
        }
        Integer connectTimeout = intVar(env, MC_HANDSHAKE_CONNECT_TIMEOUT, null);
        if (connectTimeout != null) {
            b.connectTimeout(Duration.ofSeconds(clamp(MC_HANDSHAKE_CONNECT_TIMEOUT, connectTimeout, 1, 3599)));
        }
        Integer maxLength = intVar(env, MC_HANDSHAKE_MAX_LENGTH, null);
        if (maxLength != null) {
            b.handshakeMaxLength(clamp(MC_HANDSHAKE_MAX_LENGTH, maxLength, 1, 128 << 20));
        }
        String proto = env.get(MC_TCP_PROTO);
        if (proto != null && proto.trim().equals("1")) {
            b.tcpProtoVersion(1);
        }
        String cluster = env.get(MC_METADATA_CLUSTER_ID);
        if (cluster != null && !cluster.isBlank()) {
            b.clusterId(cluster);
        }
        if (flag(env, MC_FORCE_TCP)) {
            b.forceTcp(true);
        }
        String disabled = env.get(MC_DISABLE_TRANSPORTS);
        if (disabled != null && !disabled.isBlank()) {
            b.disabledTransports(disabled);
        }
        if (flag(env, MC_FORCE_HCA)) {
            b.forceHca(true);
        }
        if (flag(env, MC_FORCE_MNNVL)) {
            b.forceMnnvl(true);
        }
        if (flag(env, MC_INTRANODE_NVLINK)) {
            b.intranodeNvlink(true);
        }
        Integer refresh = intVar(env, MC_TE_METADATA_REFRESH_INTERVAL_SECONDS, null);
        if (refresh != null) {
            b.metadataRefreshInterval(Duration.ofSeconds(Math.max(0, refresh)));
        }
        Integer timeout = intVar(env, MC_TRANSFER_TIMEOUT, null);
        if (timeout != null) {
            b.transferTimeout(Duration.ofSeconds(Math.max(5, timeout)));
        }
        Integer lanes = intVar(env, MC_TCP_LANES_PER_PEER, "MC_TCP_MAX_CONNECTIONS_PER_PEER");
        if (lanes != null) {
            b.connectionsPerPeer(clamp(MC_TCP_LANES_PER_PEER, lanes, 1, 64));
        }
        Integer slice = intVar(env, MC_TCP_SLICE_SIZE, null);
        if (slice != null) {
            b.sliceSize(clamp(MC_TCP_SLICE_SIZE, slice, 4096, 64 << 20));
        }
    }

    /** An integer variable, or {@code defaultValue} when unset; a non-integer fails naming the variable. */
    public static int intValue(Map<String, String> env, String name, int defaultValue) {
        Integer v = intVar(env, name, null);
        return v == null ? defaultValue : v;
    }

    /** The port assumed for a peer name without one ({@code MC_HANDSHAKE_PORT}, default 12001). */
    public static int handshakePortForNames(Map<String, String> env) {
        Integer p = intVar(env, MC_HANDSHAKE_PORT, null);
        return p == null ? EngineConfig.DEFAULT_HANDSHAKE_PORT : p;
    }

    /** The reference's rule for a usable RPC port range. */
    static boolean validRange(int lo, int hi) {
        return lo >= 1024 && hi <= 65535 && lo <= hi && !(lo <= 60999 && hi >= 32768);
    }

    /** Reference boolean: set to anything but {@code 0}, {@code false} or {@code no} (case-insensitive). */
    public static boolean flag(Map<String, String> env, String name) {
        String v = env.get(name);
        if (v == null) {
            return false;
        }
        String s = v.trim().toLowerCase(Locale.ROOT);
        return !(s.isEmpty() || s.equals("0") || s.equals("false") || s.equals("no") || s.equals("off"));
    }

    private static int clamp(String name, int v, int lo, int hi) {
        if (v < lo || v > hi) {
            int c = Math.max(lo, Math.min(hi, v));
            log.warn("{}={} is outside {}..{}; using {}", name, v, lo, hi, c);
            return c;
        }
        return v;
    }

    private static Integer intVar(Map<String, String> env, String name, String alias) {
        String key = name;
        String v = env.get(name);
        if ((v == null || v.isBlank()) && alias != null) {
            key = alias;
            v = env.get(alias);
        }
        if (v == null || v.isBlank()) {
            return null;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new MooncakeException(ErrorCode.INVALID_ARGUMENT,
                    "environment variable " + key + "='" + v + "' is not an integer; unset it or give a number");
        }
    }
}
