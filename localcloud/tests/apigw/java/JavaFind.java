// Reads "pattern<TAB>input" lines, each side as UTF-16 code units in hex (so lone surrogates
// survive), and prints 1 or 0 per line: Pattern.compile(pattern).matcher(input).find().
// Run as a single-file program: java JavaFind.java < cases
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Pattern;

public class JavaFind {
    static String units(String hex) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < hex.length(); i += 4) {
            text.append((char) Integer.parseInt(hex.substring(i, i + 4), 16));
        }
        return text.toString();
    }

    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
        Map<String, Pattern> compiled = new HashMap<>();
        StringBuilder out = new StringBuilder();
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            String[] parts = line.split("\t", -1);
            Pattern pattern = compiled.computeIfAbsent(parts[0], hex -> Pattern.compile(units(hex)));
            out.append(pattern.matcher(units(parts[1])).find() ? '1' : '0').append('\n');
        }
        System.out.print(out);
    }
}
