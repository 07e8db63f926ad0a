/**
 * Safe configuration reload: what may change while the engine runs is applied, the rest is refused with one log
 * line per property and kept for a restart.
 */
package io.mooncake.kubernetes.reload;
