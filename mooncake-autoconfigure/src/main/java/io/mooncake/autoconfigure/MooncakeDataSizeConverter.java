package io.mooncake.autoconfigure;

import io.mooncake.engine.api.MooncakeException;
import io.mooncake.engine.config.ConfigValues;
import java.util.Set;
import org.springframework.core.convert.TypeDescriptor;
import org.springframework.core.convert.converter.ConditionalGenericConverter;
import org.springframework.util.unit.DataSize;

/**
 * Converts text to a {@link DataSize} for properties marked {@link MooncakeDataSize}, with the
 * engine's size parser: Spring's forms ({@code 512MB}, {@code 1024}) and the reference's
 * ({@code 3g}, {@code 1.5GB}, case-insensitive, powers of 1024). {@code GiB} spellings and negative
 * sizes are rejected with a message listing the accepted forms.
 */
final class MooncakeDataSizeConverter implements ConditionalGenericConverter {

    @Override
    public Set<ConvertiblePair> getConvertibleTypes() {
        return Set.of(new ConvertiblePair(String.class, DataSize.class));
    }

    @Override
    public boolean matches(TypeDescriptor sourceType, TypeDescriptor targetType) {
        return targetType.hasAnnotation(MooncakeDataSize.class);
    }

    @Override
    public Object convert(Object source, TypeDescriptor sourceType, TypeDescriptor targetType) {
        if (source == null) {
            return null;
        }
        String text = (String) source;
        if (text.isBlank()) {
            return null;
        }
        try {
            return DataSize.ofBytes(ConfigValues.parseSize(text, "size"));
        } catch (MooncakeException ex) {
            throw new IllegalArgumentException(ex.getMessage(), ex);
        }
    }
}
