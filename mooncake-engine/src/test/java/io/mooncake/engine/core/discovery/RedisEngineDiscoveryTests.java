package io.mooncake.engine.core.discovery;

import io.mooncake.engine.metadata.support.LocalRedis;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Engines over a real redis-server. */
class RedisEngineDiscoveryTests extends EngineDiscoveryContractTests {

    @RegisterExtension
    static final LocalRedis redis = new LocalRedis();

    @Override
    protected String connectionString() {
        return redis.connectionString();
    }
}
