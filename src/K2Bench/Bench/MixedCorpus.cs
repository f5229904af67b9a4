// A seeded, mixed-language benchmark corpus for the tokenizer: English prose, source code, Chinese and
// Japanese, other scripts (Cyrillic, Arabic, Devanagari, Greek) with numbers, and emoji-heavy chat text.
// Not natural text, but its pieces have natural lengths and character mixes.
using System.Text;
using K2Native.Numerics;

namespace K2Bench.Bench;

internal static class MixedCorpus
{
    public static readonly string[] Kinds = ["prose", "code", "cjk", "scripts", "emoji"];

    private static readonly string[] English = (
        "the of and to in is that for it as was with be by on not he this are or his from at which but have an they "
        + "you were " +
        "her she there one all we their been has when who will more no if out so said what up its about into than them "
        + "can " +
        "only other new some time could these two may then do first any my now such like our over man me even most "
        + "made after " +
        "also did many before must through back years where much your way well down should because each just those "
        + "people how " +
        "too little state good very make world still own see men work long get here between both life being under "
        + "never day " +
        "same another know while last might us great old year off come since against go came right used take three "
        + "model token " +
        "reasoning expert attention layer inference kernel memory cache throughput latency tokenizer quantization "
        + "benchmark").Split(' ');

    private static readonly string[] Code =
    [
        "public static int Compute(ReadOnlySpan<float> values, int count)", "{", "}", "for (int i = 0; i < count; i++)",
        "    sum += values[i] * weights[i];", "if (x == null) throw new ArgumentNullException(nameof(x));", "return "
            + "result;",
        "def forward(self, hidden_states, attention_mask=None):", "    return self.norm(hidden_states + residual)",
        "import numpy as np", "const { Tiktoken } = require(\"tiktoken/lite\");", "let ids = encoder.encode(text, "
            + "\"all\");",
        "#include <stdio.h>", "int main(int argc, char** argv) { printf(\"%d\\n\", argc); }", "// TODO(k2): fuse the "
            + "kernels",
        "SELECT id, name FROM users WHERE created_at > '2026-01-01';", "{\"role\": \"user\", \"content\": \"Hello!\"}",
        "x = [i ** 2 for i in range(10) if i % 2 == 0]", "fn main() -> Result<(), Box<dyn Error>> {", "    Ok(())",
    ];

    private const string Hanzi =
        "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多天而能好都然没日于起" +
        "还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明其种声全" +
        "模型推理专家注意力层缓存吞吐延迟分词量化基准测试";

    private const string Kana = "のはをにがでとしてますですかられるこそあいうえおカタナラリルレロンーアイウエオ";
    private const string CjkPunctuation = "，。、！？「」（）：；";

    private static readonly string[] Scripts =
    [
        "Привет мир модель понимает русский язык", "مرحبا بالعالم النموذج يفهم العربية", "नमस्ते दुनिया मॉडल हिंदी "
            + "समझता है",
        "Γειά σου κόσμε το μοντέλο καταλαβαίνει", "Ünïcödé naïve café façade Straße", "שלום עולם", "สวัสดีชาวโลก", "안녕하세요 세계",
    ];

    private static readonly string[] Emoji = [
        "😀", "🚀", "👍🏽", "👩‍💻", "👨‍👩‍👧‍👦", "🇫🇷", "❤️", "🔥", "✨", "🤖", "🎉", "😂", "🙏", "💡", "✅"];

    /// <summary>Documents of one kind, about <paramref name="bytes"/> UTF-8 bytes in all.</summary>
    public static List<string> Generate(string kind, long bytes, ulong seed)
    {
        var random = SplitMix64.For(seed, kind);
        var documents = new List<string>();
        long total = 0;
        while (total < bytes)
        {
            var document = new StringBuilder();
            int target = 500 + Next(ref random, 4000);
            while (document.Length < target) AppendParagraph(kind, document, ref random);
            documents.Add(document.ToString());
            total += Encoding.UTF8.GetByteCount(documents[^1]);
        }
        return documents;
    }

    private static void AppendParagraph(string kind, StringBuilder text, ref SplitMix64 random)
    {
        switch (kind)
        {
            case "prose":
                for (int s = 3 + Next(ref random, 5); s > 0; s--)
                {
                    int words = 6 + Next(ref random, 14);
                    for (int w = 0; w < words; w++)
                    {
                        string word = English[Next(ref random, English.Length)];
                        if (w == 0) word = char.ToUpperInvariant(word[0]) + word[1..];
                        text.Append(word);
                        text.Append(
                            w == words - 1
                                ? (Next(ref random, 8) == 0 ? "?" : ".")
                                : Next(ref random, 10) == 0
                                ? ", "
                                : " ");
                    }
                    if (Next(ref random, 6) == 0)
                        text.Append($" In {1900 + Next(ref random, 130)}, {Next(ref random, 1000)} of them did.");
                    text.Append(' ');
                }
                text.Append("\n\n");
                break;
            case "code":
                for (int l = 5 + Next(ref random, 20); l > 0; l--)
                    text.Append(' ', 4 * Next(ref random, 4)).Append(Code[Next(ref random, Code.Length)]).Append('\n');
                text.Append('\n');
                break;
            case "cjk":
                for (int s = 2 + Next(ref random, 6); s > 0; s--)
                {
                    bool japanese = Next(ref random, 3) == 0;
                    for (int c = 8 + Next(ref random, 30); c > 0; c--)
                        text.Append(
                            japanese && Next(ref random, 2) == 0
                                ? Kana[Next(ref random, Kana.Length)]
                                : Hanzi[Next(ref random, Hanzi.Length)]);
                    text.Append(CjkPunctuation[Next(ref random, CjkPunctuation.Length)]);
                }
                text.Append('\n');
                break;
            case "scripts":
                for (int s = 3 + Next(ref random, 6); s > 0; s--)
                    text.Append(Scripts[Next(ref random, Scripts.Length)]).Append(' ').Append(Next(ref random, 100000)).Append(". ");
                text.Append('\n');
                break;
            default:
                for (int s = 3 + Next(ref random, 6); s > 0; s--)
                {
                    text.Append(English[Next(ref random, English.Length)]).Append(' ').Append(
                        English[Next(ref random, English.Length)]);
                    for (int e = 1 + Next(ref random, 3); e > 0; e--)
                        text.Append(' ').Append(Emoji[Next(ref random, Emoji.Length)]);
                    text.Append(Next(ref random, 3) == 0 ? "!!\n" : " ");
                }
                break;
        }
    }

    private static int Next(ref SplitMix64 random, int bound) => (int)(random.Next() % (ulong)bound);
}
