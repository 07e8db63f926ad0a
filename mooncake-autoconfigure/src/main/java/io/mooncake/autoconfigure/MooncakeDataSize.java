package io.mooncake.autoconfigure;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a {@link org.springframework.util.unit.DataSize} property that also accepts the
 * reference's size forms ({@code 3g}, {@code 1.5GB}, {@code 512mb}), through
 * {@link MooncakeDataSizeConverter}. Other {@code DataSize} properties of the application keep
 * Spring's own conversion.
 */
@Target(ElementType.FIELD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface MooncakeDataSize {
}
