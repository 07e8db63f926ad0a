package io.mooncake.autoconfigure;

/** {@code mooncake.metadata-server} names a service whose client library is not on the class path. */
public class MetadataClientMissingException extends MooncakeStartupException {

    private static final long serialVersionUID = 1L;

    private final String dependency;

    public MetadataClientMissingException(String property, String value, String origin, String dependency) {
        super("Mooncake metadata server '" + value + "' needs " + dependency + " on the class path", property, value,
                origin, null);
        this.dependency = dependency;
    }

    /** The Maven coordinates to add, {@code group:artifact}. */
    public String getDependency() {
        return this.dependency;
    }
}
