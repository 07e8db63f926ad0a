package io.mooncake.autoconfigure;

/**
 * A {@code MOONCAKE_*} or {@code MC_*} environment variable, or the Mooncake JSON file, holds a value
 * that cannot be used; thrown while the environment is prepared, before any bean exists.
 */
public class InvalidMooncakeSettingException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String source;

    /**
     * @param source what held the value: {@code environment variables} or {@code Mooncake config file 'x'}
     * @param cause the engine's parser error, which names the variable or key, the value and the accepted forms
     */
    public InvalidMooncakeSettingException(String source, RuntimeException cause) {
        super("Invalid Mooncake setting in " + source + ": " + cause.getMessage(), cause);
        this.source = source;
    }

    public String getSource() {
        return this.source;
    }
}
