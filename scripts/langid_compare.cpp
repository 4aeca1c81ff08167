// Compares the two Debian-packaged language identifiers, CLD2 and
// libexttextcat, on short news paragraphs (one "code<TAB>text" per line),
// to justify lingopipe's choice. Build and run:
//   g++ -O2 -std=c++20 scripts/langid_compare.cpp $(pkg-config --cflags libexttextcat) \
//       -lcld2 -lexttextcat-2.0 -o /tmp/langid_compare
//   /tmp/langid_compare /usr/share/libexttextcat/fpdb.conf tests/fixtures/langid/paragraphs.tsv
#include <cstdio> // before cld2, whose header uses FILE

#include <cld2/public/compact_lang_det.h>
#include <textcat.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s FPDB_CONF PARAGRAPHS_TSV\n", argv[0]);
    return 2;
  }
  std::unique_ptr<void, void (*)(void*)> textcat(special_textcat_Init(argv[1], "/usr/share/libexttextcat/"), textcat_Done);
  if (!textcat) {
    std::fprintf(stderr, "%s: cannot load the textcat fingerprints\n", argv[1]);
    return 1;
  }
  std::ifstream in(argv[2]);
  std::vector<std::pair<std::string, std::string>> rows;
  for (std::string line; std::getline(in, line);) {
    const auto tab = line.find('\t');
    if (tab != std::string::npos) rows.emplace_back(line.substr(0, tab), line.substr(tab + 1));
  }
  int cld2_right = 0, textcat_right = 0;
  double cld2_s = 0, textcat_s = 0;
  for (const auto& [code, text] : rows) {
    auto t0 = std::chrono::steady_clock::now();
    bool reliable = false;
    const char* cld2 = CLD2::LanguageCode(
      CLD2::DetectLanguage(text.data(), static_cast<int>(text.size()), true, &reliable));
    auto t1 = std::chrono::steady_clock::now();
    std::string tc = textcat_Classify(textcat.get(), text.data(), text.size());
    auto t2 = std::chrono::steady_clock::now();
    cld2_s += std::chrono::duration<double>(t1 - t0).count();
    textcat_s += std::chrono::duration<double>(t2 - t1).count();
    // textcat answers "[de--utf8][nl--utf8]..." when unsure: only its first
    // guess is compared, which favours it.
    const bool cld2_ok = code == cld2;
    const bool tc_ok = tc.starts_with("[" + code + "--");
    cld2_right += cld2_ok;
    textcat_right += tc_ok;
    if (!cld2_ok || !tc_ok) {
      std::printf("%s  cld2=%-4s textcat=%-14s %s\n", code.c_str(), cld2, tc.c_str(), text.c_str());
    }
  }
  std::printf("paragraphs %zu\ncld2     %d right (%.1f%%), %.1f us each\ntextcat  %d right (%.1f%%), %.1f us each\n",
              rows.size(), cld2_right, 100.0 * cld2_right / rows.size(), 1e6 * cld2_s / rows.size(),
              textcat_right, 100.0 * textcat_right / rows.size(), 1e6 * textcat_s / rows.size());
}
