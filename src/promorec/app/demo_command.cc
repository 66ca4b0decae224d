// `promorec demo`: starts promorec on the embedded defaults with the demo
// shop's catalogue and says what it serves.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>
#include <string>

#include "promorec/app/commands.h"
#include "promorec/app/embedded_files.h"
#include "promorec/app/stop_signals.h"
#include "promorec/base/env.h"
#include "promorec/base/json_string.h"
#include "promorec/event/catalogue_csv.h"
#include "promorec/http/server.h"

namespace promorec::app {
namespace {

struct DemoOptions {
  std::string data_dir;
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
};

std::string ProductsJson(const std::vector<event::Product>& products) {
  std::string out = "{\"products\":[";
  for (std::size_t i = 0; i < products.size(); ++i) {
    const event::Product& p = products[i];
    if (i > 0) out += ",";
    out += "{\"id\":";
    base::AppendJsonString(p.id, &out);
    out += ",\"name\":";
    base::AppendJsonString(p.name, &out);
    out += ",\"category\":";
    base::AppendJsonString(p.category, &out);
    out += ",\"category_name\":";
    base::AppendJsonString(p.category_name, &out);
    char price[32];
    std::snprintf(price, sizeof price, "%.2f", p.price);
    out += ",\"price\":";
    out += price;
    out += "}";
  }
  out += "]}\n";
  return out;
}

std::string PromotionsJson(const std::vector<event::Promotion>& promotions) {
  std::string out = "{\"promotions\":[";
  for (std::size_t i = 0; i < promotions.size(); ++i) {
    if (i > 0) out += ",";
    out += "{\"id\":";
    base::AppendJsonString(promotions[i].id, &out);
    out += ",\"text\":";
    base::AppendJsonString(promotions[i].text, &out);
    out += ",\"code\":";
    base::AppendJsonString(promotions[i].code, &out);
    out += "}";
  }
  out += "]}\n";
  return out;
}

struct RouteDoc {
  const char* method;
  const char* path;
  const char* what;
};

constexpr RouteDoc kRoutes[] = {
    {"GET", "/", "this overview"},
    {"GET", "/healthz", "liveness"},
    {"GET", "/v1/catalogue/products", "the demo shop's products"},
    {"GET", "/v1/catalogue/promotions", "the promotions to choose from"},
};

constexpr const char* kNotYet =
    "Event ingest (POST /v1/events, the Kinesis API), recommendations and the SageMaker\n"
    "contract run under `promorec serve` (docs/api/http.md). Notifications, dashboards and\n"
    "the shop pages are not in this build yet.\n";

int RunDemo(const DemoOptions& options) {
  auto products = event::ParseProductsCsv(EmbeddedFile("demo-catalogue/products.csv"),
                                          "demo-catalogue/products.csv");
  auto promotions = event::ParsePromotionsCsv(EmbeddedFile("demo-catalogue/promotions.csv"),
                                              "demo-catalogue/promotions.csv");
  if (!products || !promotions) {
    std::fprintf(stderr, "promorec demo: built-in catalogue is damaged: %s\n",
                 (!products ? products.error() : promotions.error()).ToString().c_str());
    return kExitFailure;
  }
  if (auto made = base::DefaultEnv().CreateDirs(options.data_dir); !made) {
    std::fprintf(stderr, "promorec demo: %s\n", made.error().ToString().c_str());
    return kExitFailure;
  }

  std::string overview = "promorec demo\n\nRoutes:\n";
  for (const RouteDoc& route : kRoutes) {
    char line[160];
    std::snprintf(line, sizeof line, "  %-4s %-28s %s\n", route.method, route.path, route.what);
    overview += line;
  }
  overview += "\n";
  overview += kNotYet;

  http::Router router;
  router.Add("GET", "/", [overview](const http::Request&) {
    return http::Response{200, "text/plain; charset=utf-8", overview};
  });
  router.Add("GET", "/healthz", [](const http::Request&) {
    return http::Response{200, "application/json", "{\"status\":\"ok\"}\n"};
  });
  router.Add("GET", "/v1/catalogue/products",
             [body = ProductsJson(*products)](const http::Request&) {
               return http::Response{200, "application/json", body};
             });
  router.Add("GET", "/v1/catalogue/promotions",
             [body = PromotionsJson(*promotions)](const http::Request&) {
               return http::Response{200, "application/json", body};
             });

  StopSignals stop;  // before the server starts its threads
  http::ServerOptions server_options;
  server_options.host = options.host;
  server_options.port = options.port;
  auto server = http::Server::Start(server_options, std::move(router));
  if (!server) {
    std::fprintf(stderr, "promorec demo: %s\n", server.error().ToString().c_str());
    return kExitFailure;
  }
  std::printf("promorec demo: serving http://%s:%u (data directory %s)\n", options.host.c_str(),
              static_cast<unsigned>((*server)->port()), options.data_dir.c_str());
  std::printf("catalogue: %zu products, %zu promotions (built-in demo shop)\n", products->size(),
              promotions->size());
  for (const RouteDoc& route : kRoutes) {
    std::printf("  %-4s %-28s %s\n", route.method, route.path, route.what);
  }
  std::printf("%sPress Ctrl-C to stop.\n", kNotYet);
  std::fflush(stdout);

  const int received = stop.Wait();
  std::printf("promorec demo: stopping (signal %d)\n", received);
  (*server)->Stop();
  return kExitOk;
}

}  // namespace

void RegisterDemoCommand(CLI::App& app, CommandResult& result) {
  auto options = std::make_shared<DemoOptions>();
  CLI::App* command =
      app.add_subcommand("demo", "run promorec on the embedded defaults with the demo shop");
  AddDataDirOption(*command, &options->data_dir);
  command->add_option("--host", options->host, "address to listen on")->capture_default_str();
  command->add_option("--port", options->port, "port to listen on (0 = any free port)")
      ->capture_default_str();
  command->callback([options, &result] { result.exit_code = RunDemo(*options); });
}

}  // namespace promorec::app
