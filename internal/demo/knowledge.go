package demo

import (
	"context"
	"fmt"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
)

// demoArticle is one article of the demo's knowledge base; owner is the
// name of the owning organisation, {d} standing for 东城区.
type demoArticle struct {
	owner, question, answer, category, validTo string
	public                                     bool
}

const hotlineOrg = "北京市12345市民服务热线"

// demoKnowledge is a small knowledge base of the questions a hotline hears
// most, so that suggestions on the hotline form show something. The
// answers are illustrative, not official policy.
var demoKnowledge = []demoArticle{
	{hotlineOrg, "居住证怎么办理？", "在本市居住半年以上、有合法稳定就业或住所的，持身份证、居住登记凭证和就业或住所证明，到居住地派出所或社区服务站申领居住证，一般15个工作日内可领取。", "", "", true},
	{hotlineOrg, "高龄津贴如何申领？", "年满80周岁的本市户籍老人，由本人或家属持身份证、户口簿到户籍所在社区服务站申请高龄津贴，审核通过后按月发放到社会保障卡。", "", "", true},
	{"北京市东城区城市管理委员会", "供暖时间是什么时候？", "本市供暖季为每年11月15日至次年3月15日，遇气温偏低可提前或延长，以市政府通知为准。室温低于18℃可联系供热单位报修。", "", "", true},
	{"北京市东城区城市管理委员会", "暖气不热找谁报修？", "先检查阀门是否全开、暖气片是否需要排气；仍不热请联系小区物业或供热单位客服报修，24小时内未处理的可再次来电，由热线派单督办。", "", "", true},
	{"北京市东城区城市管理委员会", "垃圾分类投放时间是几点？", "居民小区桶站一般早6:30—9:00、晚17:30—21:00定时定点投放，厨余垃圾需破袋投放；具体时间以小区公示为准。大件垃圾和装修垃圾请预约物业清运。", "", "", true},
	{"北京市东城区城市管理综合行政执法局", "发现违法建设怎么举报？", "可拨打12345热线或在“随手拍”中上报，说明具体地址、楼层和搭建情况并附照片；城管执法部门核查后依法处理，举报人信息保密。", "", "", true},
	{"北京市东城区城市管理综合行政执法局", "占道经营、夜市噪音如何处理？", "占道经营由城管执法部门查处，夜间施工或经营噪音扰民可同时报告属地派出所；来电请记录具体位置和时段。", "", "", true},
	{"北京市东城区市场监督管理局", "买到过期食品怎么投诉？", "保留购物小票和商品，拨打12345或12315投诉，市场监管部门在7个工作日内决定是否受理。", "", "", true},
	{"北京市东城区住房和城市建设委员会", "物业费收费标准有争议怎么办？", "先查看物业服务合同和小区公示的收费标准，与物业协商；协商不成可向街道物业管理部门或住建委反映，属合同纠纷的可申请调解或诉讼。", "", "", true},
	{"北京市东城区住房和城市建设委员会", "老旧小区加装电梯如何申请？", "需本单元业主按规定比例同意并签订协议，由业主或实施主体向街道提出申请，街道组织公示后报区住建委审批，可申请财政补贴。", "", "", true},
	{"北京市东城区水务局", "家里停水了怎么查询？", "计划停水会提前在小区公告；突发停水可拨打自来水集团客服查询。楼内管道漏水属物业维修范围。", "", "", true},
	{"北京市公安局东城分局", "户口迁入需要什么材料？", "按迁入类型（投靠、购房、人才引进等）准备材料，到迁入地派出所户籍窗口办理，可先通过政务服务网查询所需材料清单。", "", "", true},
	{"北京市东城区人力资源和社会保障局", "社保关系跨省转移怎么办理？", "在新参保地参保后，由本人向新参保地社保经办机构或通过国家社会保险公共服务平台提出转移申请，原参保地审核后转出，一般45个工作日内办结，缴费年限累计计算；无需先回原籍开具参保凭证。", "1210", "", true},
	{"北京市东城区人力资源和社会保障局", "工伤认定需要什么材料、多长时间？", "用人单位应在事故发生之日起30日内提出工伤认定申请，单位不申请的，职工或近亲属可在1年内自行申请；需提交申请表、劳动关系证明（劳动合同、工资流水等）和医疗诊断证明。人社部门受理后60日内作出认定。", "1211", "", true},
	{"北京市东城区人力资源和社会保障局", "被拖欠工资怎么维权？", "保留劳动合同、考勤、工资条、聊天记录等证据，先与单位协商；协商不成可向劳动保障监察机构投诉或拨打12345，也可向劳动人事争议仲裁委员会申请仲裁。工程建设领域可向项目所在地住建和人社部门反映，由总承包单位先行清偿。", "1205", "", true},
	{"北京市东城区卫生健康委员会", "生育登记怎么办理？", "夫妻双方可通过政务服务网或手机端在线办理生育登记，也可持身份证、结婚证到户籍地或现居住地社区（村）办理，当场办结，不收取费用。", "1408", "", true},
	{"北京市东城区卫生健康委员会", "独生子女父母奖励怎么申领？", "持独生子女父母光荣证和身份证，到户籍所在地社区服务站或工作单位申请，符合条件的按规定发放奖励费；已退休人员的一次性奖励向原单位或社保经办机构咨询。", "1408", "", true},
	{"北京市生态环境局东城分局", "附近要建的项目环评在哪里公示？怎么提意见？", "建设项目环境影响报告书（表）受理和拟审批前均在生态环境部门网站公示，公示期内可通过电话、信函或电子邮件向审批部门提出意见，并说明姓名和联系方式，意见将作为审批参考。", "2405", "", true},
	{"北京市生态环境局东城分局", "发现工厂偷排废气废水怎么举报？", "可拨打12345或12369环保举报热线，说明企业名称、具体位置、排放时间和现象（黑烟、异味、污水颜色等），有照片或视频请一并提供；生态环境部门接报后到现场检查、监测，举报人信息保密。", "2401", "", true},
	{"北京市交通委员会东城运输管理分局", "出租车拒载、绕路、不打表怎么投诉？", "记下车牌号、乘车时间和上下车地点，保留发票或支付记录，拨打12345或出租汽车服务监督电话投诉；网约车可先通过平台投诉，平台不处理的再向交通运输部门反映。", "0314", "", true},
	{"北京市交通委员会东城运输管理分局", "想建议增设公交站点或调整线路，向哪里反映？", "可通过12345热线或交通部门的意见征集渠道提出，说明线路、站点位置和出行需求；公交线路调整需经客流调查和论证，一般在年度线网优化时统一研究并公示。", "0313", "", true},
	{"北京市东城区教育委员会", "义务教育入学信息采集什么时候开始？", "每年5月前后在区教委网站发布当年入学政策，适龄儿童家长在规定时间内通过入学服务系统填报信息，按户籍和实际居住情况登记入学；具体时间和材料以当年公告为准。", "1301", "", true},
	{"北京市东城区住房和城市建设委员会", "新房逾期交房、迟迟办不下不动产权证怎么办？", "先查看购房合同中交房和办证期限及违约责任，保留开发商的书面答复，可要求开发商支付违约金；开发商拒不履行的可向住建部门反映或通过诉讼解决。办证受阻的可向不动产登记机构查询原因。", "1808", "", true},
	{"北京市东城区文化和旅游局", "跟团旅游被强制购物怎么投诉？", "保留旅游合同、行程单、购物凭证和录音录像，向旅行社所在地或旅游目的地文化和旅游部门投诉，也可拨打12345；合同未约定的购物安排属违规，可要求退货和赔偿。", "1509", "", true},
	{hotlineOrg, "城乡居民医保缴费（2025年度）", "2025年度城乡居民基本医疗保险集中缴费期已结束，未参保人员可咨询社区社保所办理补缴。", "", "2025-02-28", true},
	{hotlineOrg, "咨询类来电的答复口径", "能依据知识库直接答复的，当场答复并勾选“已直接答复”；涉及个人诉求需部门处理的，按分类派单，不得推诿。", "", "", false},
}

// LoadKnowledge writes the demo knowledge base; owners missing from the
// city fall back to the 12345 hotline, and categories missing from the
// catalogue (none is loaded yet, or it was trimmed) are left out.
func LoadKnowledge(ctx context.Context, s *store.Store) error {
	orgs, _, err := s.ListOrganisations(ctx, civic.System, store.OrgFilter{Kind: civic.OrgDepartment, Page: store.Page{Limit: 1000}})
	if err != nil {
		return fmt.Errorf("load demo knowledge: %w", err)
	}
	byName := map[string]int64{}
	for _, o := range orgs {
		byName[o.Name] = o.ID
	}
	cats, err := s.ListCategories(ctx, civic.System, store.CategoryFilter{OnlyLeaves: true})
	if err != nil {
		return fmt.Errorf("load demo knowledge: %w", err)
	}
	leaf := map[string]bool{}
	for _, c := range cats {
		leaf[c.Code] = true
	}
	for _, a := range demoKnowledge {
		id, ok := byName[a.owner]
		if !ok {
			id = byName[hotlineOrg]
		}
		if !leaf[a.category] {
			a.category = ""
		}
		art := civic.Article{Question: a.question, Answer: a.answer, CategoryCode: a.category, ValidTo: a.validTo, OrgID: id, Public: a.public}
		if _, err := s.CreateArticle(ctx, civic.System, art); err != nil {
			return fmt.Errorf("load demo knowledge %q: %w", a.question, err)
		}
	}
	return nil
}
