package io.mooncake.autoconfigure.health;

import java.util.List;
import java.util.Set;
import org.springframework.boot.actuate.endpoint.EndpointId;
import org.springframework.boot.actuate.endpoint.SecurityContext;
import org.springframework.boot.actuate.endpoint.web.AdditionalPathsMapper;
import org.springframework.boot.actuate.endpoint.web.WebServerNamespace;
import org.springframework.boot.health.actuate.endpoint.AdditionalHealthEndpointPath;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroup;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroups;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroupsPostProcessor;
import org.springframework.boot.health.actuate.endpoint.HttpCodeStatusMapper;
import org.springframework.boot.health.actuate.endpoint.StatusAggregator;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.core.env.Environment;

/**
 * Adds the {@code mooncake} contributor to the {@code readiness} health group, whether that group
 * comes from Kubernetes probe support ({@code management.endpoint.health.probes.enabled}, or
 * running on Kubernetes) or from configuration. Leaves the group alone when
 * {@code management.endpoint.health.group.readiness.include} is set: then the user decides.
 * Runs after Boot's probe post-processor (same order, registered later), so the probe groups exist.
 */
@Order(Ordered.LOWEST_PRECEDENCE)
final class MooncakeReadinessGroupPostProcessor implements HealthEndpointGroupsPostProcessor {

    static final String GROUP = "readiness";

    static final String MEMBER = "mooncake";

    static final String INCLUDE_PROPERTY = "management.endpoint.health.group.readiness.include";

    private final Environment environment;

    MooncakeReadinessGroupPostProcessor(Environment environment) {
        this.environment = environment;
    }

    @Override
    public HealthEndpointGroups postProcessHealthEndpointGroups(HealthEndpointGroups groups) {
        if (groups.get(GROUP) == null || this.environment.containsProperty(INCLUDE_PROPERTY)) {
            return groups;
        }
        return new WithMooncakeInReadiness(groups);
    }

    /** The groups, with {@code readiness} also including {@code mooncake}. */
    private static final class WithMooncakeInReadiness implements HealthEndpointGroups, AdditionalPathsMapper {

        private final HealthEndpointGroups delegate;

        private final HealthEndpointGroup readiness;

        WithMooncakeInReadiness(HealthEndpointGroups delegate) {
            this.delegate = delegate;
            this.readiness = new WithMember(delegate.get(GROUP));
        }

        @Override
        public HealthEndpointGroup getPrimary() {
            return this.delegate.getPrimary();
        }

        @Override
        public Set<String> getNames() {
            return this.delegate.getNames();
        }

        @Override
        public HealthEndpointGroup get(String name) {
            return GROUP.equals(name) ? this.readiness : this.delegate.get(name);
        }

        @Override
        public List<String> getAdditionalPaths(EndpointId endpointId, WebServerNamespace webServerNamespace) {
            return (this.delegate instanceof AdditionalPathsMapper mapper)
                    ? mapper.getAdditionalPaths(endpointId, webServerNamespace) : null;
        }
    }

    /** A group that also includes {@code mooncake}. */
    private record WithMember(HealthEndpointGroup group) implements HealthEndpointGroup {

        @Override
        public boolean isMember(String name) {
            return MEMBER.equals(name) || this.group.isMember(name);
        }

        @Override
        public boolean showComponents(SecurityContext securityContext) {
            return this.group.showComponents(securityContext);
        }

        @Override
        public boolean showDetails(SecurityContext securityContext) {
            return this.group.showDetails(securityContext);
        }

        @Override
        public StatusAggregator getStatusAggregator() {
            return this.group.getStatusAggregator();
        }

        @Override
        public HttpCodeStatusMapper getHttpCodeStatusMapper() {
            return this.group.getHttpCodeStatusMapper();
        }

        @Override
        public AdditionalHealthEndpointPath getAdditionalPath() {
            return this.group.getAdditionalPath();
        }
    }
}
