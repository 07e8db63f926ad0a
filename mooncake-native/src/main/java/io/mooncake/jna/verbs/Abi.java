package io.mooncake.jna.verbs;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The C expression a layout constant stands for, such as {@code offsetof(struct ibv_wc, status)}
 * or {@code IBV_WR_RDMA_WRITE}. A test compiles every annotated expression against the installed
 * {@code <infiniband/verbs.h>} and {@code <ffi.h>} and fails on any difference, so the constants
 * in {@link VerbsAbi} are proved, not copied.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
public @interface Abi {

    /** A C expression whose value, cast to {@code long}, equals the constant. */
    String value();
}
