#include "promorec/app/serve_promotions.h"

#include "promorec/app/embedded_files.h"
#include "promorec/event/catalogue_csv.h"
#include "promorec/event/promotions_json.h"

namespace promorec::app {

base::Result<ServePromotions> LoadServePromotions(base::Env& env, const std::string& data_dir) {
  const std::string json_path = data_dir + "/promotions.json";
  PROMOREC_ASSIGN_OR_RETURN(const bool has_json, env.FileExists(json_path));
  if (has_json) {
    PROMOREC_ASSIGN_OR_RETURN(const std::string text, base::ReadFileToString(env, json_path));
    PROMOREC_ASSIGN_OR_RETURN(auto promotions, event::ParsePromotionsJson(text, json_path));
    return ServePromotions{std::move(promotions), json_path};
  }
  const std::string csv_path = data_dir + "/promotions.csv";
  PROMOREC_ASSIGN_OR_RETURN(const bool has_csv, env.FileExists(csv_path));
  if (has_csv) {
    PROMOREC_ASSIGN_OR_RETURN(const std::string text, base::ReadFileToString(env, csv_path));
    PROMOREC_ASSIGN_OR_RETURN(auto promotions, event::ParsePromotionsCsv(text, csv_path));
    return ServePromotions{std::move(promotions), csv_path};
  }
  const std::string_view demo = EmbeddedFile("demo-catalogue/promotions.csv");
  PROMOREC_ASSIGN_OR_RETURN(auto promotions,
                            event::ParsePromotionsCsv(demo, "demo-catalogue/promotions.csv"));
  return ServePromotions{std::move(promotions), "the demo catalogue"};
}

}  // namespace promorec::app
