package io.mooncake.autoconfigure;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Reports an {@link InvalidMooncakeSettingException}: a bad environment variable or JSON file value. */
class InvalidMooncakeSettingFailureAnalyzer extends AbstractFailureAnalyzer<InvalidMooncakeSettingException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, InvalidMooncakeSettingException cause) {
        String description = "A Mooncake setting in " + cause.getSource() + " cannot be used: "
                + cause.getCause().getMessage() + ".";
        String action = "Correct or remove the value named above, in " + cause.getSource()
                + ". Sizes are a number with B, KB, MB, GB or TB (powers of 1024), e.g. 3GB; booleans are true or "
                + "false; see docs/configuration.md for every setting.";
        return new FailureAnalysis(description, action, cause);
    }
}
