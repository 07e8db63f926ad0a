package io.mooncake.sample;

import java.util.LinkedHashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Just enough PromQL reading to list the metric names a query selects. */
final class PromQl {

    private static final Set<String> KEYWORDS = Set.of("by", "without", "on", "ignoring", "group_left", "group_right",
            "bool", "and", "or", "unless", "offset", "inf", "nan");

    private static final Pattern IDENTIFIER = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");

    private PromQl() {
    }

    /** Metric names in {@code query}: identifiers that are not functions, keywords, labels or numbers. */
    static Set<String> metricNames(String query) {
        String q = query.replaceAll("\"(\\\\.|[^\"\\\\])*\"", "\"\"") // string literals
            .replaceAll("\\{[^}]*}", " ") // label matchers
            .replaceAll("\\[[^]]*]", " ") // ranges
            .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ") // label lists
            .replaceAll("\\$[a-zA-Z_]+", " "); // dashboard variables
        Set<String> names = new LinkedHashSet<>();
        Matcher m = IDENTIFIER.matcher(q);
        while (m.find()) {
            String id = m.group();
            int next = m.end();
            while (next < q.length() && Character.isWhitespace(q.charAt(next))) {
                next++;
            }
            boolean function = next < q.length() && q.charAt(next) == '(';
            boolean number = m.start() > 0 && Character.isDigit(q.charAt(m.start() - 1));
            if (!function && !number && !KEYWORDS.contains(id.toLowerCase())) {
                names.add(id);
            }
        }
        return names;
    }
}
